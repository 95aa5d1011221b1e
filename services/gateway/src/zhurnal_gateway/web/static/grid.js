/* The journal grid typed from the keyboard (ADR 17): arrows move, a mark key sets the mark,
 * н/у/б/п set attendance, Delete clears, Enter saves the changed lessons through the REST API
 * (PUT /api/v1/lessons/{id}/entries with If-Match, Idempotency-Key and X-CSRF-Token), Ctrl+D or
 * a column's button fills down, and a block pasted from a spreadsheet fills from the selected
 * cell. The page works without this script: each column links to its lesson's form. */
(function () {
  "use strict";
  var table = document.getElementById("journal-grid");
  if (!table || table.getAttribute("data-editable") !== "1") { return; }
  var statusLine = document.getElementById("grid-status");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var SHORT = { present: "", excused: "у", unexcused: "н", ill: "б", late: "оп" };
  var LETTERS = { "н": "unexcused", "у": "excused", "б": "ill", "п": "present" };
  // The keys labelled н, у, б, п on a Russian keyboard, whatever layout is switched on.
  var CODES = { KeyY: "н", KeyE: "у", Comma: "б", KeyG: "п" };
  var MARK_KEYS = "12345";

  var grid = [];      // grid[row][col] = cell
  var columns = [];   // columns[col] = {lesson, version, readOnly, key}
  var current = null;

  function say(text) { statusLine.textContent = text; }
  function text(name) { return statusLine.getAttribute("data-" + name) || ""; }

  function parseMarks(raw) {
    try { return JSON.parse(raw || "[]"); } catch (e) { return []; }
  }

  table.querySelectorAll("th.lesson-col").forEach(function (th) {
    columns[+th.getAttribute("data-col")] = {
      th: th,
      lesson: th.getAttribute("data-lesson"),
      version: th.getAttribute("data-version"),
      readOnly: th.getAttribute("data-readonly") === "1",
      future: th.getAttribute("data-future") === "1",
      key: null,
      saving: false
    };
  });

  table.querySelectorAll("button.cell").forEach(function (button) {
    var cell = {
      button: button,
      row: +button.getAttribute("data-row"),
      col: +button.getAttribute("data-col"),
      student: button.getAttribute("data-student"),
      name: button.getAttribute("data-name"),
      enrolled: button.getAttribute("data-enrolled") === "1",
      status: button.getAttribute("data-status") || "",
      late: +(button.getAttribute("data-late") || 0),
      marks: parseMarks(button.getAttribute("data-marks"))
    };
    cell.savedStatus = cell.status;
    cell.savedMarks = JSON.stringify(cell.marks);
    (grid[cell.row] = grid[cell.row] || [])[cell.col] = cell;
    button.addEventListener("focus", function () { current = cell; });
    button.addEventListener("click", function () { focus(cell.row, cell.col); });
  });
  if (!grid.length) { return; }
  current = grid[0][0];

  function shown(cell) {
    var parts = [];
    if (cell.status && SHORT[cell.status]) {
      parts.push(SHORT[cell.status] + (cell.status === "late" && cell.late ? cell.late : ""));
    }
    cell.marks.forEach(function (m) { parts.push(m.value); });
    return parts.join(" ");
  }

  function dirty(cell) {
    return cell.status !== cell.savedStatus || JSON.stringify(cell.marks) !== cell.savedMarks;
  }

  function render(cell) {
    var value = shown(cell);
    var changed = dirty(cell);
    cell.button.textContent = value + (changed ? " •" : "");
    cell.button.classList.toggle("dirty", changed);
    cell.button.setAttribute(
      "aria-label",
      cell.name + ": " + (value || "—") + (changed ? " (" + text("unsaved") + ")" : "")
    );
  }

  function focus(row, col) {
    row = Math.max(0, Math.min(grid.length - 1, row));
    col = Math.max(0, Math.min(grid[row].length - 1, col));
    var target = grid[row][col];
    if (current && current !== target) { current.button.setAttribute("tabindex", "-1"); }
    target.button.setAttribute("tabindex", "0");
    target.button.focus();
    current = target;
  }

  function editable(cell) {
    if (columns[cell.col].readOnly) { say(text("readonly")); return false; }
    if (columns[cell.col].future) { say(text("future")); return false; }
    if (!cell.enrolled) { say(text("notenrolled")); return false; }
    return true;
  }

  function changed(cell) {
    columns[cell.col].key = null; // new content: a new idempotency key at the next save
    render(cell);
    say(text("changed"));
  }

  function setMark(cell, value) {
    if (!editable(cell)) { return; }
    if (value === "") {
      cell.marks = cell.marks.slice(1);
    } else if (cell.marks.length) {
      var first = Object.assign({}, cell.marks[0], { value: value });
      cell.marks = [first].concat(cell.marks.slice(1));
    } else {
      cell.marks = [{ id: "", value: value, type_code: "", comment: "" }];
    }
    changed(cell);
  }

  function setStatus(cell, status) {
    if (!editable(cell)) { return; }
    cell.status = status;
    if (status !== "late") { cell.late = 0; }
    changed(cell);
  }

  // A typed or pasted value: an attendance letter or a mark value.
  function apply(cell, raw) {
    var value = raw.trim();
    if (!value) { return; }
    var letter = LETTERS[value.toLowerCase()];
    if (letter) { setStatus(cell, letter); } else { setMark(cell, value); }
  }

  function copy(source, target) {
    if (!editable(target)) { return; }
    target.status = source.status || target.status;
    target.late = source.late;
    var value = source.marks.length ? source.marks[0].value : "";
    if (value) { setMark(target, value); } else { changed(target); }
  }

  function fillDown(source) {
    if (!editable(source)) { return; }
    for (var row = source.row + 1; row < grid.length; row++) {
      var target = grid[row][source.col];
      if (target.enrolled) { copy(source, target); }
    }
  }

  function columnSource(col) {
    if (current && current.col === col) { return current; }
    for (var row = 0; row < grid.length; row++) {
      var cell = grid[row][col];
      if (cell.marks.length || (cell.status && cell.status !== "present")) { return cell; }
    }
    return grid[0][col];
  }

  table.querySelectorAll("button.fill").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = columnSource(+button.getAttribute("data-col"));
      fillDown(source);
      focus(source.row, source.col);
    });
  });

  function body(col) {
    var attendance = [];
    var marks = [];
    var marksChanged = false;
    grid.forEach(function (cells) {
      var cell = cells[col];
      if (cell.status && cell.status !== cell.savedStatus) {
        attendance.push({
          student_id: cell.student,
          status: cell.status,
          late_minutes: cell.status === "late" ? cell.late : 0
        });
      }
      if (JSON.stringify(cell.marks) !== cell.savedMarks) { marksChanged = true; }
      cell.marks.forEach(function (m) {
        marks.push({
          id: m.id || "",
          student_id: cell.student,
          value: m.value,
          type_code: m.type_code || "",
          comment: m.comment || ""
        });
      });
    });
    var result = { attendance: attendance };
    if (marksChanged) { result.marks = marks; }
    return result;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function saved(col, lesson) {
    var column = columns[col];
    column.version = String(lesson.version);
    column.key = null;
    var attendance = {};
    lesson.attendance.forEach(function (a) { attendance[a.student_id] = a; });
    grid.forEach(function (cells) {
      var cell = cells[col];
      var entry = attendance[cell.student];
      cell.status = entry ? entry.status : "";
      cell.late = entry ? entry.late_minutes : 0;
      cell.marks = lesson.marks.filter(function (m) { return m.student_id === cell.student; })
        .map(function (m) {
          return { id: m.id, value: m.value, type_code: m.type_code, comment: m.comment };
        });
      cell.savedStatus = cell.status;
      cell.savedMarks = JSON.stringify(cell.marks);
      render(cell);
    });
  }

  function problemText(problem) {
    var parts = [];
    if (problem && problem.errors && problem.errors.length) {
      problem.errors.forEach(function (e) { parts.push(e.detail); });
    } else if (problem && (problem.detail || problem.title)) {
      parts.push(problem.detail || problem.title);
    }
    return parts.join("; ");
  }

  function saveColumn(col) {
    var column = columns[col];
    if (!column.key) { column.key = newKey(); }
    column.saving = true;
    return fetch("/api/v1/lessons/" + encodeURIComponent(column.lesson) + "/entries", {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "If-Match": '"' + column.version + '"',
        "Idempotency-Key": column.key,
        "X-CSRF-Token": csrf
      },
      body: JSON.stringify(body(col))
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        column.saving = false;
        if (response.ok) { saved(col, data.lesson); return "saved"; }
        if (response.status === 412 || response.status === 409) { return "conflict"; }
        return text("error") + " " + (problemText(data) || response.status);
      });
    }, function () {
      column.saving = false;
      return "failed";
    });
  }

  function saveAll() {
    var pending = [];
    columns.forEach(function (column, col) {
      if (column.readOnly || column.saving) { return; }
      var any = grid.some(function (cells) { return dirty(cells[col]); });
      if (any) { pending.push(col); }
    });
    if (!pending.length) { say(text("nothing")); return; }
    say(text("saving"));
    Promise.all(pending.map(saveColumn)).then(function (outcomes) {
      var problems = outcomes.filter(function (o) { return o !== "saved"; });
      if (!problems.length) { say(text("saved")); return; }
      if (problems.indexOf("conflict") >= 0) { say(text("conflict")); return; }
      if (problems.indexOf("failed") >= 0) { say(text("failed")); return; }
      say(problems.join(" "));
    });
  }

  table.addEventListener("keydown", function (event) {
    var cell = current;
    if (!cell || !event.target.classList || !event.target.classList.contains("cell")) { return; }
    var key = event.key;
    var handled = true;
    if (key === "ArrowUp") { focus(cell.row - 1, cell.col); }
    else if (key === "ArrowDown") { focus(cell.row + 1, cell.col); }
    else if (key === "ArrowLeft") { focus(cell.row, cell.col - 1); }
    else if (key === "ArrowRight") { focus(cell.row, cell.col + 1); }
    else if (key === "Home") { focus(cell.row, 0); }
    else if (key === "End") { focus(cell.row, grid[cell.row].length - 1); }
    else if (key === "Enter") { saveAll(); }
    else if ((event.ctrlKey || event.metaKey) && event.code === "KeyD") {
      fillDown(cell);
    }
    else if (event.ctrlKey || event.metaKey || event.altKey) { handled = false; }
    else if (key === "Delete" || key === "Backspace") {
      if (cell.marks.length) { setMark(cell, ""); }
      else if (cell.status && cell.status !== "present") { setStatus(cell, "present"); }
    }
    else if (MARK_KEYS.indexOf(key) >= 0) { setMark(cell, key); }
    else if ((key === "+" || key === "-" || key === "−") && cell.marks.length &&
             /^[1-5]$/.test(cell.marks[0].value)) {
      setMark(cell, cell.marks[0].value + (key === "+" ? "+" : "-"));
    }
    else if (LETTERS[key.toLowerCase()]) { setStatus(cell, LETTERS[key.toLowerCase()]); }
    else if (CODES[event.code]) { setStatus(cell, LETTERS[CODES[event.code]]); }
    else if (key === " ") { /* a button's click: nothing to do */ }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("paste", function (event) {
    var active = document.activeElement;
    if (!active || !active.classList || !active.classList.contains("cell") || !current) { return; }
    var data = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
    if (!data) { return; }
    event.preventDefault();
    var lines = data.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    lines.forEach(function (line, i) {
      var row = current.row + i;
      if (row >= grid.length) { return; }
      line.split("\t").forEach(function (value, j) {
        var col = current.col + j;
        if (col >= grid[row].length) { return; }
        apply(grid[row][col], value);
      });
    });
  });

}());
