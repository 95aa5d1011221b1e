"""The baseline: a bare FastAPI JSON endpoint, served the way the gateway is (uvicorn)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, object]:
    """A small JSON body, like one institution."""
    return {"id": "00000000-0000-0000-0000-000000000000", "code": "school-7", "items": [1, 2, 3]}
