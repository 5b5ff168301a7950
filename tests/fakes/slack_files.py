"""The fake Slack Web API (``tests/bot/fakes.py``) plus Slack's file upload as
``files_upload_v2`` does it: ``files.getUploadURLExternal`` gives an upload URL, the file's
bytes are POSTed there, ``files.completeUploadExternal`` shares it in a channel (or thread).
Uploaded files are kept in ``uploads`` by file id."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

from tests.bot.fakes import Call, FakeSlack, _params


class FileSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, bytes] = {}
        self._files = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/upload/{file_id}", self.upload)
        super().routes(app)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "files.getUploadURLExternal":
            params = await _params(request)
            self.calls.append(Call(method, params))
            file_id = f"F{next(self._files):04d}"
            url = f"{self.url}/upload/{file_id}"
            return web.json_response({"ok": True, "upload_url": url, "file_id": file_id})
        if method == "files.completeUploadExternal":
            params = await _params(request)
            self.calls.append(Call(method, params))
            files: list[dict[str, Any]] = params.get("files") or []
            missing = [f["id"] for f in files if f.get("id") not in self.uploads]
            if missing:
                return web.json_response({"ok": False, "error": "file_not_found"})
            return web.json_response({"ok": True, "files": files})
        return await super().handle(request)

    async def upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id}))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")
