/* The import of people (ADR 17): a chosen file (CSV or XLSX) is read here and sent
 * base64-encoded in the page's ordinary url-encoded form, next to its csrf_token field: the
 * gateway's CSRF check reads the token from url-encoded bodies (or the X-CSRF-Token header),
 * not from multipart ones. The server checks the size again and names the field when the file
 * is too large. Without this script the file field stays hidden and the CSV text is pasted. */
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var choice = document.getElementById("import-file");
  var input = document.getElementById("file");
  if (!form || !choice || !input || !window.FileReader) { return; }
  choice.hidden = false;
  var limit = Number(input.getAttribute("data-max-bytes")) || 0;

  function set(name, value) { form.elements.namedItem(name).value = value; }

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    set("file_name", "");
    set("file_size", "");
    set("file_base64", "");
    if (!file) { return; }  // the pasted text goes as it is
    event.preventDefault();
    set("file_name", file.name);
    set("file_size", String(file.size));
    if (limit && file.size > limit) { form.submit(); return; }  // the server says it is too large
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      var at = url.indexOf(",");
      set("file_base64", at < 0 ? "" : url.slice(at + 1));
      form.submit();
    };
    reader.onerror = function () { form.submit(); };  // the server asks to choose it again
    reader.readAsDataURL(file);
  });
})();
