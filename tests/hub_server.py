"""A local Hugging Face Hub for tests: a real HTTP server on 127.0.0.1.

It implements the part of the Hub API that ``huggingface_hub`` (uploads,
listings, downloads) and ``datasets`` (``load_dataset`` through ``HfFileSystem``)
call, so both clients run unmodified against it with ``HF_ENDPOINT`` pointed at
the server. Nothing is kept in memory only: every repository is a
content-addressed folder on disk, so the state survives a server restart::

    <root>/repos/<type>s/<ns>/<name>/
        repo.json               visibility, owner, PR counter
        objects/<sha256>        file contents (LFS and regular alike)
        commits/<oid>.json      {parents, title, message, date, tree: {path: {sha256, size, lfs}}}
        refs/heads/<branch>     commit oid
        refs/pr/<n>             commit oid of a pull request's head
        discussions/<n>.json    pull requests

Uploads use the git-LFS "basic" transfer (the Xet protocol is not spoken: the
fixture sets ``HF_HUB_DISABLE_XET``). Tokens are checked: only tokens the
fixture registers are accepted, anything else is a 401 like on the real Hub.
:meth:`HubServer.fail` injects faults (an HTTP status or a dropped connection)
into the N-th call of a route, and :attr:`HubServer.log` records every request
(method, route, status) so tests can say which routes the clients used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

#: Files stored as LFS objects (the Hub's default .gitattributes covers these).
LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".zip", ".gz", ".zst", ".npy", ".safetensors")
#: Above this size a file is LFS whatever its name (the Hub uses 10 MB).
LFS_MIN_SIZE = 10 * 1024 * 1024

DEFAULT_GITATTRIBUTES = "".join(f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in LFS_SUFFIXES).encode()


class HubError(Exception):
    """An HTTP error answer: status, message and the Hub's ``X-Error-Code``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def git_blob_oid(data: bytes) -> str:
    """The git object id of a blob (what the Hub reports as a file's ``oid``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-LFS pointer file that stands for an LFS object in git."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --------------------------------------------------------------------------- storage


@dataclass
class Repo:
    """One repository on disk."""

    root: Path
    repo_type: str
    repo_id: str

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.root / "repo.json").read_text())

    def save_meta(self, meta: dict[str, Any]) -> None:
        _atomic_write(self.root / "repo.json", json.dumps(meta, indent=1).encode())

    # -- objects
    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256

    def has_object(self, sha256: str) -> bool:
        return self.object_path(sha256).is_file()

    def put_object(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has_object(sha):
            _atomic_write(self.object_path(sha), data)
        return sha

    def read_object(self, sha256: str) -> bytes:
        return self.object_path(sha256).read_bytes()

    # -- refs and commits
    def ref_path(self, ref: str) -> Path:
        return self.root / ref

    def branches(self) -> dict[str, str]:
        heads = self.root / "refs" / "heads"
        return {p.relative_to(heads).as_posix(): p.read_text().strip() for p in heads.rglob("*") if p.is_file()}

    def pull_refs(self) -> dict[int, str]:
        prs = self.root / "refs" / "pr"
        if not prs.is_dir():
            return {}
        return {int(p.name): p.read_text().strip() for p in prs.iterdir() if p.is_file()}

    def set_ref(self, ref: str, oid: str) -> None:
        _atomic_write(self.ref_path(ref), (oid + "\n").encode())

    def commit(self, oid: str) -> dict[str, Any]:
        return json.loads((self.root / "commits" / f"{oid}.json").read_text())

    def has_commit(self, oid: str) -> bool:
        return (self.root / "commits" / f"{oid}.json").is_file()

    def write_commit(self, parents: list[str], tree: dict[str, Any], title: str, message: str) -> str:
        body = {"parents": parents, "tree": tree, "title": title, "message": message, "date": _now()}
        oid = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        _atomic_write(self.root / "commits" / f"{oid}.json", json.dumps(body, sort_keys=True).encode())
        return oid

    def resolve(self, revision: str) -> tuple[str, str]:
        """``(ref, commit oid)`` of a branch name, ``refs/...`` name or commit id; 404 otherwise."""
        candidates = [revision] if revision.startswith("refs/") else [f"refs/heads/{revision}"]
        for ref in candidates:
            path = self.ref_path(ref)
            if path.is_file():
                return ref, path.read_text().strip()
        if re.fullmatch(r"[0-9a-f]{7,40}", revision):
            matches = [p.stem for p in (self.root / "commits").glob(f"{revision}*.json")]
            if len(matches) == 1:
                return "", matches[0]
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def history(self, oid: str) -> list[str]:
        """First-parent history from ``oid`` back to the initial commit (newest first)."""
        out = []
        while oid:
            out.append(oid)
            parents = self.commit(oid)["parents"]
            oid = parents[0] if parents else ""
        return out


def _atomic_write(path: Path, data: bytes) -> None:
    # Write-then-rename, so a crash or a dropped request never leaves half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


class HubStore:
    """All repositories under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.lock = threading.RLock()  # one writer at a time, like a ref update lock

    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        return self.root / "repos" / f"{repo_type}s" / repo_id

    def get(self, repo_type: str, repo_id: str) -> Repo | None:
        root = self.repo_dir(repo_type, repo_id)
        return Repo(root, repo_type, repo_id) if (root / "repo.json").is_file() else None

    def create(self, repo_type: str, repo_id: str, *, private: bool, owner: str) -> Repo:
        with self.lock:
            if self.get(repo_type, repo_id) is not None:
                raise HubError(409, "You already created this dataset repo")
            repo = Repo(self.repo_dir(repo_type, repo_id), repo_type, repo_id)
            repo.root.mkdir(parents=True, exist_ok=True)
            repo.save_meta({"private": private, "owner": owner, "created": _now(), "next_num": 1})
            # Like the Hub: a new repo has one commit holding .gitattributes.
            sha = repo.put_object(DEFAULT_GITATTRIBUTES)
            tree = {".gitattributes": {"sha256": sha, "size": len(DEFAULT_GITATTRIBUTES), "lfs": False}}
            repo.set_ref("refs/heads/main", repo.write_commit([], tree, "initial commit", ""))
            return repo


# --------------------------------------------------------------------------- faults and log


@dataclass
class Fault:
    """Make calls ``after+1 .. after+times`` of ``route`` fail.

    The call fails with HTTP ``status``, or with ``drop`` the connection is
    closed without an answer; with ``lose_response`` the server does the work
    (e.g. makes the commit) and then drops the connection, as when an answer is
    lost on the way back.
    """

    route: str
    status: int | None = 500
    drop: bool = False
    lose_response: bool = False
    after: int = 0
    times: int = 1
    seen: int = 0
    fired: int = 0

    def should_fire(self) -> bool:
        self.seen += 1
        if self.seen > self.after and self.fired < self.times:
            self.fired += 1
            return True
        return False


@dataclass
class LoggedRequest:
    method: str
    route: str
    path: str
    status: int = 0


@dataclass
class ServerState:
    store: HubStore
    tokens: dict[str, str]  # token -> user name
    orgs: dict[str, set[str]] = field(default_factory=dict)  # user -> org names
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    faults: list[Fault] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # tracebacks of server bugs
    lock: threading.Lock = field(default_factory=threading.Lock)


# --------------------------------------------------------------------------- routing

_REPO = r"(?P<ns>[\w.\-]+)/(?P<name>[\w.\-]+)"
_TYPE = r"(?P<type>models|datasets|spaces)"
_PREFIX = r"(?:(?P<prefix>datasets|spaces)/)?"

ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    (method, name, re.compile(pattern))
    for method, name, pattern in [
        ("GET", "whoami", r"/api/whoami-v2"),
        ("POST", "create_repo", r"/api/repos/create"),
        ("POST", "validate_yaml", r"/api/validate-yaml"),
        ("GET", "repo_info", rf"/api/{_TYPE}/{_REPO}(?:/revision/(?P<rev>[^/]+))?"),
        ("POST", "preupload", rf"/api/{_TYPE}/{_REPO}/preupload/(?P<rev>[^/]+)"),
        ("POST", "commit", rf"/api/{_TYPE}/{_REPO}/commit/(?P<rev>[^/]+)"),
        ("GET", "tree", rf"/api/{_TYPE}/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?"),
        ("POST", "paths_info", rf"/api/{_TYPE}/{_REPO}/paths-info/(?P<rev>[^/]+)"),
        ("GET", "refs", rf"/api/{_TYPE}/{_REPO}/refs"),
        ("GET", "commits", rf"/api/{_TYPE}/{_REPO}/commits/(?P<rev>[^/]+)"),
        ("POST", "create_branch", rf"/api/{_TYPE}/{_REPO}/branch/(?P<branch>[^/]+)"),
        ("PUT", "settings", rf"/api/{_TYPE}/{_REPO}/settings"),
        ("POST", "create_discussion", rf"/api/{_TYPE}/{_REPO}/discussions"),
        ("GET", "discussion", rf"/api/{_TYPE}/{_REPO}/discussions/(?P<num>\d+)"),
        ("POST", "lfs_batch", rf"/{_PREFIX}{_REPO}\.git/info/lfs/objects/batch"),
        ("PUT", "lfs_upload", rf"/_lfs/{_TYPE}/{_REPO}/(?P<oid>[0-9a-f]{{64}})"),
        ("GET", "resolve", rf"/{_PREFIX}{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)"),
        ("HEAD", "resolve", rf"/{_PREFIX}{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)"),
    ]
]

_SINGULAR = {"models": "model", "datasets": "dataset", "spaces": "space", None: "model"}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read HubServer.log
        pass

    # -- plumbing
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    @property
    def state(self) -> ServerState:
        return self.server.state

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query, keep_blank_values=True)
        entry = LoggedRequest(method, "unhandled", url.path)
        with self.state.lock:
            self.state.log.append(entry)
        match = None
        for route_method, name, pattern in ROUTES:
            if route_method == method and (match := pattern.fullmatch(url.path)):
                entry.route = name
                break
        try:
            body = self._read_body()
            if match is None:
                raise HubError(404, f"no route for {method} {url.path}")
            fault = self._fault(entry.route)
            if fault is not None and not fault.lose_response:
                if fault.drop:
                    return self._drop(entry)
                raise HubError(fault.status or 500, "injected fault")
            params = {k: unquote(v) if v is not None else None for k, v in match.groupdict().items()}
            status, headers, payload = getattr(self, f"route_{entry.route}")(params, body)
            if fault is not None:  # the work is done, but the client never hears about it
                return self._drop(entry)
        except HubError as err:
            status, headers = err.status, {"X-Error-Message": err.message}
            if err.code:
                headers["X-Error-Code"] = err.code
            payload = {"error": err.message}
        except Exception:  # a bug in this server: answer 500 and keep the traceback for the fixture to report
            with self.state.lock:
                self.state.errors.append(traceback.format_exc())
            status, headers, payload = 500, {}, {"error": "internal error of the local Hub"}
        entry.status = status
        self._respond(status, headers, payload, head=(method == "HEAD"))

    def _drop(self, entry: LoggedRequest) -> None:
        entry.status = -1
        self.close_connection = True
        self.connection.shutdown(2)  # the client sees the connection dropped, with no answer

    def _fault(self, route: str) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.route == route and fault.should_fire():
                    return fault
        return None

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _respond(self, status: int, headers: dict[str, str], payload: Any, *, head: bool) -> None:
        if isinstance(payload, bytes):
            data = payload
        elif payload is None:
            data = b""
        else:
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", headers.get("Content-Length", str(len(data))))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    # -- auth
    def _user(self) -> str | None:
        """The caller, or None when anonymous; 401 for a token we did not issue."""
        auth = self.headers.get("Authorization")
        if not auth:
            return None
        token = auth.removeprefix("Bearer ").strip()
        user = self.state.tokens.get(token)
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return user

    def _namespaces(self, user: str) -> set[str]:
        return {user} | self.state.orgs.get(user, set())

    def _repo(self, params: dict[str, Any], *, write: bool = False) -> Repo:
        repo_type = _SINGULAR[params.get("type") or params.get("prefix")]
        repo_id = f"{params['ns']}/{params['name']}"
        user = self._user()
        repo = self.state.store.get(repo_type, repo_id)
        visible = repo is not None and (not repo.meta["private"] or (user and repo.meta["owner"] == user))
        if not visible:
            # The Hub answers 401 to anonymous callers and 404 otherwise, both "RepoNotFound".
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        if write:
            if user is None:
                raise HubError(401, "You must be authenticated to write")
            if params["ns"] not in self._namespaces(user):
                raise HubError(403, "You don't have the rights to write to this repo")
        return repo

    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _repo_url(self, repo: Repo) -> str:
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return f"{self._base()}/{prefix}{repo.repo_id}"

    # -- routes: account and repos
    def route_whoami(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        user = self._user()
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        orgs = [{"name": org, "type": "org"} for org in sorted(self.state.orgs.get(user, set()))]
        return 200, {}, {"type": "user", "name": user, "orgs": orgs, "auth": {"type": "access_token"}}

    def route_create_repo(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        user = self._user()
        if user is None:
            raise HubError(401, "You must be authenticated to create a repo")
        request = json.loads(body or b"{}")
        ns = request.get("organization") or user
        if ns not in self._namespaces(user):
            raise HubError(403, f"You don't have the rights to create a repo under {ns}")
        repo_type = request.get("type") or "model"
        repo = self.state.store.create(
            repo_type, f"{ns}/{request['name']}", private=request.get("visibility") == "private", owner=user
        )
        return 200, {}, {"url": self._repo_url(repo), "name": repo.repo_id}

    def route_settings(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        request = json.loads(body or b"{}")
        meta = repo.meta
        if "private" in request:
            meta["private"] = bool(request["private"])
        if "visibility" in request:
            meta["private"] = request["visibility"] == "private"
        repo.save_meta(meta)
        return 200, {}, {"private": meta["private"]}

    def route_validate_yaml(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        request = json.loads(body or b"{}")
        errors, warnings = validate_card(request.get("content", ""), request.get("repoType", "model"))
        payload = {"errors": [{"message": m} for m in errors], "warnings": [{"message": m} for m in warnings]}
        return (400 if errors else 200), {}, payload

    def route_repo_info(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        _, oid = repo.resolve(params.get("rev") or "main")
        commit = repo.commit(oid)
        blobs = self.query.get("blobs", ["false"])[0].lower() in ("1", "true")
        siblings = []
        for path, entry in sorted(commit["tree"].items()):
            sibling: dict[str, Any] = {"rfilename": path}
            if blobs:  # with ?blobs=true: size, git blob id and LFS info (here keyed "sha256", not "oid")
                listed = self._file_json(repo, path, entry)
                sibling.update(size=listed["size"], blobId=listed["oid"])
                if "lfs" in listed:
                    lfs = listed["lfs"]
                    sibling["lfs"] = {"size": lfs["size"], "sha256": lfs["oid"], "pointerSize": lfs["pointerSize"]}
            siblings.append(sibling)
        meta = repo.meta
        return (
            200,
            {},
            {
                "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
                "id": repo.repo_id,
                "author": repo.repo_id.split("/")[0],
                "sha": oid,
                "createdAt": meta["created"],
                "lastModified": commit["date"],
                "private": meta["private"],
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "cardData": _card_data(repo, commit),
                "siblings": siblings,
            },
        )

    def route_refs(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        branches = [
            {"name": name, "ref": f"refs/heads/{name}", "targetCommit": oid}
            for name, oid in sorted(repo.branches().items())
        ]
        payload: dict[str, Any] = {"branches": branches, "converts": [], "tags": []}
        if self.query.get("include_prs"):
            payload["pullRequests"] = [
                {"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": oid}
                for n, oid in sorted(repo.pull_refs().items())
            ]
        return 200, {}, payload

    def route_commits(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        _, oid = repo.resolve(params["rev"])
        out = []
        for commit_oid in repo.history(oid):
            commit = repo.commit(commit_oid)
            out.append(
                {
                    "id": commit_oid,
                    "authors": [{"user": repo.meta["owner"]}],
                    "date": commit["date"],
                    "title": commit["title"],
                    "message": commit["message"],
                }
            )
        return 200, {}, out

    def route_create_branch(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        request = json.loads(body or b"{}")
        with self.state.store.lock:
            if params["branch"] in repo.branches():
                raise HubError(409, f"Reference refs/heads/{params['branch']} already exists")
            _, oid = repo.resolve(request.get("startingPoint") or "main")
            repo.set_ref(f"refs/heads/{params['branch']}", oid)
        return 200, {}, {}

    def route_create_discussion(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        request = json.loads(body or b"{}")
        with self.state.store.lock:
            num = self._open_discussion(repo, request.get("title", ""), bool(request.get("pullRequest")), "main")
        return 200, {}, {"num": num, "url": f"{self._repo_url(repo)}/discussions/{num}"}

    def _open_discussion(self, repo: Repo, title: str, pull_request: bool, base: str) -> int:
        meta = repo.meta
        num = meta["next_num"]
        meta["next_num"] = num + 1
        repo.save_meta(meta)
        info = {
            "num": num,
            "title": title,
            "status": "open",
            "isPullRequest": pull_request,
            "createdAt": _now(),
            "author": meta["owner"],
            "base": base,
        }
        _atomic_write(repo.root / "discussions" / f"{num}.json", json.dumps(info).encode())
        if pull_request:
            _, oid = repo.resolve(base)
            repo.set_ref(f"refs/pr/{num}", oid)
        return num

    def route_discussion(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        path = repo.root / "discussions" / f"{params['num']}.json"
        if not path.is_file():
            raise HubError(404, "Discussion not found")
        info = json.loads(path.read_text())
        payload = {
            "num": info["num"],
            "title": info["title"],
            "status": info["status"],
            "isPullRequest": info["isPullRequest"],
            "createdAt": info["createdAt"],
            "author": {"name": info["author"]},
            "repo": {"name": repo.repo_id, "type": repo.repo_type},
            "events": [],
            "diff": "",
        }
        if info["isPullRequest"]:
            payload["changes"] = {"base": f"refs/heads/{info['base']}"}
            payload["filesWithConflicts"] = []
        return 200, {}, payload

    # -- routes: listing
    def _file_json(self, repo: Repo, path: str, entry: dict[str, Any]) -> dict[str, Any]:
        if entry["lfs"]:
            pointer = lfs_pointer(entry["sha256"], entry["size"])
            return {
                "type": "file",
                "oid": git_blob_oid(pointer),
                "size": entry["size"],
                "lfs": {"oid": entry["sha256"], "size": entry["size"], "pointerSize": len(pointer)},
                "path": path,
            }
        return {
            "type": "file",
            "oid": git_blob_oid(repo.read_object(entry["sha256"])),
            "size": entry["size"],
            "path": path,
        }

    def _entries(self, repo: Repo, tree: dict[str, Any], base: str, *, recursive: bool) -> list[dict[str, Any]]:
        """The tree listing under ``base``: direct children, or everything below with ``recursive``."""
        prefix = f"{base}/" if base else ""
        folders: dict[str, list[str]] = {}
        files: list[str] = []
        for path in tree:
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix) :].split("/")
            if recursive:
                files.append(path)
                for depth in range(1, len(parts)):
                    folders.setdefault(prefix + "/".join(parts[:depth]), []).append(path)
            elif len(parts) == 1:
                files.append(path)
            else:
                folders.setdefault(prefix + parts[0], []).append(path)
        out = [
            {"type": "directory", "oid": _folder_oid(tree, members), "size": 0, "path": folder}
            for folder, members in folders.items()
        ]
        out.extend(self._file_json(repo, path, tree[path]) for path in files)
        return sorted(out, key=lambda e: e["path"])

    def route_tree(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        _, oid = repo.resolve(params["rev"])
        tree = repo.commit(oid)["tree"]
        base = (params.get("path") or "").strip("/")
        if base and not any(p.startswith(base + "/") for p in tree):
            raise HubError(404, f"Path {base} not found", "EntryNotFound")
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        # ``expand=true`` (last commit per path) is not implemented: neither client asks for it here.
        return 200, {}, self._entries(repo, tree, base, recursive=recursive)

    def route_paths_info(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        _, oid = repo.resolve(params["rev"])
        tree = repo.commit(oid)["tree"]
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(body or b"{}").get("paths", [])
        else:  # huggingface_hub posts a form: paths=a&paths=b&expand=false
            paths = parse_qs(body.decode(), keep_blank_values=True).get("paths", [])
        out = []
        for path in paths:
            path = path.strip("/")
            if path in tree:
                out.append(self._file_json(repo, path, tree[path]))
            elif any(p.startswith(path + "/") for p in tree):
                members = [p for p in tree if p.startswith(path + "/")]
                out.append({"type": "directory", "oid": _folder_oid(tree, members), "size": 0, "path": path})
        return 200, {}, out

    # -- routes: upload
    def route_preupload(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        request = json.loads(body or b"{}")
        tree: dict[str, Any] = {}
        if not self.query.get("create_pr"):
            _, oid = repo.resolve(params["rev"])
            tree = repo.commit(oid)["tree"]
        files = []
        for item in request.get("files", []):
            path, size = item["path"], int(item["size"])
            sample = base64.b64decode(item.get("sample", ""))
            lfs = is_lfs(path, size, sample)
            remote = tree.get(path)
            remote_oid = None
            if remote is not None:
                remote_oid = remote["sha256"] if lfs else git_blob_oid(repo.read_object(remote["sha256"]))
            files.append(
                {
                    "path": path,
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": remote_oid,
                }
            )
        return 200, {}, {"files": files, "commitOid": None}

    def route_lfs_batch(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        request = json.loads(body or b"{}")
        if request.get("operation") != "upload":
            raise HubError(400, "only uploads are supported")
        objects = []
        for obj in request.get("objects", []):
            oid, size = obj["oid"], int(obj["size"])
            item: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if not repo.has_object(oid):  # content already stored: no action, the client skips it
                item["actions"] = {"upload": {"href": self._upload_href(repo, oid), "expires_in": 3600}}
            objects.append(item)
        return (
            200,
            {"Content-Type": "application/vnd.git-lfs+json"},
            {"transfer": "basic", "objects": objects},
        )

    def _signature(self, repo: Repo, oid: str) -> str:
        return hmac.new(self.state.secret, f"{repo.repo_type}/{repo.repo_id}/{oid}".encode(), "sha256").hexdigest()

    def _upload_href(self, repo: Repo, oid: str) -> str:
        # A pre-signed URL, like S3's: the PUT carries no token, the signature authorizes it.
        return f"{self._base()}/_lfs/{repo.repo_type}s/{repo.repo_id}/{oid}?sig={self._signature(repo, oid)}"

    def route_lfs_upload(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self.state.store.get(_SINGULAR[params["type"]], f"{params['ns']}/{params['name']}")
        if repo is None or not hmac.compare_digest(
            self.query.get("sig", [""])[0], self._signature(repo, params["oid"])
        ):
            raise HubError(403, "bad upload signature")
        if hashlib.sha256(body).hexdigest() != params["oid"]:
            raise HubError(400, "uploaded content does not match its oid")
        repo.put_object(body)
        return 200, {"ETag": f'"{params["oid"]}"'}, None

    def route_commit(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params, write=True)
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "commit payload must start with a header")
        header = lines[0]["value"]
        create_pr = bool(self.query.get("create_pr"))
        with self.state.store.lock:
            ref, head = repo.resolve(params["rev"])
            if not ref:
                raise HubError(400, "can only commit to a branch or a pull request ref")
            parent = header.get("parentCommit")
            if parent and not create_pr and not head.startswith(parent):
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            tree = dict(repo.commit(parent if parent and create_pr else head)["tree"])
            for line in lines[1:]:
                key, value = line["key"], line["value"]
                path = value["path"].strip("/")
                if key == "file":
                    data = (
                        base64.b64decode(value["content"])
                        if value.get("encoding") == "base64"
                        else (value["content"].encode())
                    )
                    tree[path] = {"sha256": repo.put_object(data), "size": len(data), "lfs": False}
                elif key == "lfsFile":
                    if not repo.has_object(value["oid"]):
                        raise HubError(422, f"LFS object {value['oid']} for {path} was never uploaded")
                    size = repo.object_path(value["oid"]).stat().st_size
                    tree[path] = {"sha256": value["oid"], "size": size, "lfs": True}
                elif key == "deletedFile":
                    if tree.pop(path, None) is None:
                        raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                elif key == "deletedFolder":
                    for member in [p for p in tree if p.startswith(path + "/")]:
                        del tree[member]
                else:
                    raise HubError(400, f"unknown commit operation {key!r}")
            oid = repo.write_commit([head], tree, header.get("summary", ""), header.get("description", ""))
            payload: dict[str, Any] = {"success": True, "commitOid": oid, "hookOutput": ""}
            if create_pr:
                num = self._open_discussion(repo, header.get("summary", ""), True, ref.removeprefix("refs/heads/"))
                repo.set_ref(f"refs/pr/{num}", oid)
                payload["pullRequestUrl"] = f"{self._repo_url(repo)}/discussions/{num}"
            else:
                repo.set_ref(ref, oid)
        payload["commitUrl"] = f"{self._repo_url(repo)}/commit/{oid}"
        return 200, {}, payload

    # -- routes: download
    def route_resolve(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        repo = self._repo(params)
        _, oid = repo.resolve(params["rev"])
        entry = repo.commit(oid)["tree"].get(params["path"])
        if entry is None:
            raise HubError(404, "Entry not found", "EntryNotFound")
        data = repo.read_object(entry["sha256"])
        etag = entry["sha256"] if entry["lfs"] else git_blob_oid(data)
        headers = {
            "ETag": f'"{etag}"',
            "X-Repo-Commit": oid,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if entry["lfs"]:
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(entry["size"])
        range_header = self.headers.get("Range")
        if range_header and (m := re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip())):
            start = int(m[1]) if m[1] else max(len(data) - int(m[2]), 0)
            end = int(m[2]) if m[1] and m[2] else len(data) - 1
            end = min(end, len(data) - 1)
            if start >= len(data) and len(data) > 0:
                raise HubError(416, "Requested range not satisfiable")
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return 206, headers, data[start : end + 1]
        return 200, headers, data


def _folder_oid(tree: dict[str, Any], members: list[str]) -> str:
    return hashlib.sha1("".join(m + tree[m]["sha256"] for m in sorted(members)).encode()).hexdigest()


def is_lfs(path: str, size: int, sample: bytes) -> bool:
    """The upload mode the Hub would choose: LFS for binary, large or LFS-pattern files."""
    return path.endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE or b"\0" in sample


def _card_data(repo: Repo, commit: dict[str, Any]) -> dict[str, Any] | None:
    entry = commit["tree"].get("README.md")
    if entry is None:
        return None
    metadata, _ = _front_matter(repo.read_object(entry["sha256"]).decode("utf-8", "replace"))
    return metadata if isinstance(metadata, dict) else None


def _front_matter(content: str) -> tuple[Any, str | None]:
    """The YAML metadata block of a card, or (None, error)."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.DOTALL)
    if match is None:
        return None, None
    try:
        return yaml.safe_load(match[1]), None
    except yaml.YAMLError as exc:
        return None, f"YAML metadata is not valid YAML: {exc}".splitlines()[0]


def validate_card(content: str, repo_type: str) -> tuple[list[str], list[str]]:
    """A subset of the Hub's card validation: structure of ``configs`` and ``dataset_info``."""
    metadata, error = _front_matter(content)
    if error:
        return [error], []
    if metadata is None:
        return [], ["empty or missing yaml metadata in repo card"]
    if not isinstance(metadata, dict):
        return ['"metadata" must be an object'], []
    errors: list[str] = []
    license_ = metadata.get("license")
    if license_ is not None and not isinstance(license_, (str, list)):
        errors.append('"license" must be a string or a list of strings')
    if repo_type == "dataset":
        configs = metadata.get("configs", [])
        if not isinstance(configs, list):
            errors.append('"configs" must be an array')
            configs = []
        names = []
        for i, config in enumerate(configs):
            if not isinstance(config, dict) or not isinstance(config.get("config_name"), str):
                errors.append(f'"configs[{i}].config_name" is required and must be a string')
                continue
            names.append(config["config_name"])
            files = config.get("data_files")
            ok = isinstance(files, str) or (
                isinstance(files, list)
                and all(isinstance(f, str) or (isinstance(f, dict) and "split" in f and "path" in f) for f in files)
            )
            if not ok:
                errors.append(f'"configs[{i}].data_files" must be a string, a list of strings or of {{split, path}}')
        if len(names) != len(set(names)):
            errors.append('"configs" has duplicate config_name values')
        if sum(1 for c in configs if isinstance(c, dict) and c.get("default")) > 1:
            errors.append('"configs" has more than one default config')
        infos = metadata.get("dataset_info")
        if infos is not None:
            for info in infos if isinstance(infos, list) else [infos]:
                if not isinstance(info, dict) or not isinstance(info.get("splits", []), list):
                    errors.append('"dataset_info" entries must be objects with a list of splits')
    return errors, []


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


# --------------------------------------------------------------------------- server object and fixture


class HubServer:
    """The local Hub: start/stop/restart it, register tokens, inject faults, read the log."""

    def __init__(self, root: Path, tokens: dict[str, str], orgs: dict[str, set[str]] | None = None) -> None:
        self.state = ServerState(HubStore(root), dict(tokens), dict(orgs or {}))
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None, "server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def store(self) -> HubStore:
        return self.state.store

    @property
    def log(self) -> list[LoggedRequest]:
        return self.state.log

    def start(self) -> HubServer:
        self._httpd = _HTTPServer(self.state)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), name="local-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._httpd = None

    def restart(self) -> None:
        """Stop and start again on a new port with a fresh process state: only the disk survives."""
        self.stop()
        self.state = ServerState(HubStore(self.state.store.root), self.state.tokens, self.state.orgs)
        self.start()

    def fail(
        self,
        route: str,
        *,
        status: int | None = 500,
        drop: bool = False,
        lose_response: bool = False,
        after: int = 0,
        times: int = 1,
    ) -> Fault:
        """Make ``times`` calls of ``route``, after the first ``after`` ones, fail (see :class:`Fault`)."""
        fault = Fault(route, status=status, drop=drop, lose_response=lose_response, after=after, times=times)
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def routes_used(self) -> set[tuple[str, str]]:
        """(method, route) pairs the clients called."""
        return {(r.method, r.route) for r in self.log}

    def calls(self, route: str) -> list[LoggedRequest]:
        return [r for r in self.log if r.route == route]

    # -- inspection helpers for tests
    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        repo = self.store.get(repo_type, repo_id)
        assert repo is not None, f"{repo_id} does not exist on the local Hub"
        return repo

    def head(self, repo_id: str, revision: str = "main") -> str:
        return self.repo(repo_id).resolve(revision)[1]

    def files(self, repo_id: str, revision: str = "main") -> dict[str, str]:
        """path -> sha256 of every file at ``revision``."""
        repo = self.repo(repo_id)
        return {p: e["sha256"] for p, e in repo.commit(repo.resolve(revision)[1])["tree"].items()}

    def commit_count(self, repo_id: str, revision: str = "main") -> int:
        repo = self.repo(repo_id)
        return len(repo.history(repo.resolve(revision)[1]))

    def file_bytes(self, repo_id: str, path: str, revision: str = "main") -> bytes:
        return self.repo(repo_id).read_object(self.files(repo_id, revision)[path])


@dataclass
class LocalHub:
    """What the ``local_hub`` fixture yields: the server, two users' tokens, and the client setup."""

    server: HubServer
    token: str  # write token of user "medsins-bot" (member of org "medsins")
    other_token: str  # token of "someone-else": valid, but no rights on the "medsins" org
    home: Path
    monkeypatch: pytest.MonkeyPatch
    user: str = "medsins-bot"
    org: str = "medsins"

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def restart(self) -> None:
        """Restart the server (new port, fresh process state, same disk) and re-point the clients."""
        self.server.restart()
        point_clients_at(self.server.endpoint, self.home, self.monkeypatch)
        clear_client_caches()


def point_clients_at(endpoint: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point huggingface_hub and datasets at ``endpoint`` with caches and token files under ``home``.

    Both libraries read their settings into module constants at import time,
    so the environment is set (for subprocesses and late imports) *and* the
    already-imported constants are patched.
    """
    import datasets.config as dconfig
    from huggingface_hub import constants

    hub_cache = home / "hub"
    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_DATASETS_CACHE": str(home / "datasets"),
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    host = urlsplit(endpoint).hostname or "127.0.0.1"
    for name, value in {
        "ENDPOINT": endpoint,
        "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_URL_HOSTS": constants.HF_URL_HOSTS | {host},
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(hub_cache),
        "HUGGINGFACE_HUB_CACHE": str(hub_cache),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_XET": True,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_UPDATE_CHECK": True,
    }.items():
        if hasattr(constants, name):
            monkeypatch.setattr(constants, name, value)
    for name, value in {
        "HF_ENDPOINT": endpoint,
        "HUB_DATASETS_URL": endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
        "HF_DATASETS_CACHE": home / "datasets",
        "HF_MODULES_CACHE": home / "modules",
        "DOWNLOADED_DATASETS_PATH": home / "datasets" / "downloads",
        "EXTRACTED_DATASETS_PATH": home / "datasets" / "downloads" / "extracted",
        "HF_HUB_OFFLINE": False,
        "HF_DATASETS_OFFLINE": False,
        "HF_UPDATE_DOWNLOAD_COUNTS": False,
    }.items():
        if hasattr(dconfig, name):
            monkeypatch.setattr(dconfig, name, value)


def clear_client_caches() -> None:
    """Forget cached HfFileSystem instances and listings (they are keyed per endpoint, but hold state)."""
    from huggingface_hub import HfFileSystem

    HfFileSystem.clear_instance_cache()


@contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    """No tqdm bars from either client while the fixture runs (they read their env at import)."""
    import datasets
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    hub_was_on = not are_progress_bars_disabled()
    datasets_was_on = datasets.is_progress_bar_enabled()
    disable_progress_bars()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if hub_was_on:
            enable_progress_bars()
        if datasets_was_on:
            datasets.enable_progress_bars()


@pytest.fixture
def local_hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """A running local Hub with the clients pointed at it; stopped afterwards."""
    root = tmp_path_factory.mktemp("hub")
    token, other = "hf_" + secrets.token_hex(16), "hf_" + secrets.token_hex(16)
    server = HubServer(
        root / "store", {token: "medsins-bot", other: "someone-else"}, orgs={"medsins-bot": {"medsins"}}
    ).start()
    point_clients_at(server.endpoint, root / "home", monkeypatch)
    clear_client_caches()
    hub = LocalHub(server, token, other, root / "home", monkeypatch)
    with _quiet_progress_bars():
        try:
            yield hub
        finally:
            hub.server.stop()
            clear_client_caches()
    # The clients must only call routes the server implements, and the server must not crash.
    assert not hub.server.state.errors, hub.server.state.errors[0]
    unhandled = sorted({f"{r.method} {r.path}" for r in hub.server.log if r.route == "unhandled"})
    assert not unhandled, f"clients called routes the local Hub does not implement: {unhandled}"


# --------------------------------------------------------------------------- hand-made releases
# Until the release writer lands, tests need release folders with the contract of
# medsins/release/manifest.py: Hub-named Parquet shards with RECORD_SCHEMA, a card
# with YAML ``configs`` + ``dataset_info``, and ``manifest.json`` written last.


def make_record(task_id: str, source: str, config: str, category: str, split: str, n: int, **extra: Any):
    """A valid :class:`medsins.records.Record` with deterministic content."""
    from medsins.records import Record, record_id

    raw_id = f"{source}-{split}-{n}"
    fields: dict[str, Any] = {
        "id": record_id(task_id, source, split, raw_id),
        "task_id": task_id,
        "source": source,
        "category": category,
        "config": config,
        "split": split,
        "instruction": f"Instruction of {task_id}.",
        "input": f"Input {n} of {task_id} ({split}).",
        "output": f"Output {n}",
        "input_language": "en",
        "output_language": "en",
        "instruction_language": "en",
        "license": "CC-BY-4.0",
        "text_source": "academic_paper",
        "domains": ["biomedicine"],
        "options": [],
        "raw_id": raw_id,
        "origin": f"{source}.txt, line {n + 1}",
    }
    fields.update(extra)
    return Record(**fields)


def write_release(
    root: Path,
    records: list[Any],
    *,
    profile: str = "public",
    publishable: bool = True,
    sources: dict[str, dict[str, Any]] | None = None,
    card_metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a release folder for ``records``: shards per config/task/split, card, manifest."""
    import datasets
    import pyarrow.parquet as pq

    from medsins.release.manifest import (
        FateCounts,
        ReleaseFile,
        ReleaseManifest,
        SourceProvenance,
        sha256_file,
        write_manifest,
    )
    from medsins.release.schema import RECORD_SCHEMA, records_to_table

    root.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for record in sorted(records, key=lambda r: r.id):
        groups.setdefault((record.config, record.task_id, record.split.value), []).append(record)
    files: dict[str, ReleaseFile] = {}
    configs: dict[str, dict[str, int]] = {}
    nbytes: dict[tuple[str, str], int] = {}
    for (config, task, split), rows in sorted(groups.items()):
        rel = f"data/{config}/{task}/{split}-00000-of-00001.parquet"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        table = records_to_table(rows)
        pq.write_table(table, path, compression="zstd")
        files[rel] = ReleaseFile(sha256=sha256_file(path), bytes=path.stat().st_size, rows=len(rows))
        for name in ("all", config, task):
            configs.setdefault(name, {}).setdefault(split, 0)
            configs[name][split] += len(rows)
            nbytes[name, split] = nbytes.get((name, split), 0) + table.nbytes

    def data_files(name: str) -> list[dict[str, str]]:
        pattern = {"all": "data/*/*"}.get(name) or (f"data/*/{name}" if name.startswith("task") else f"data/{name}/*")
        return [{"split": split, "path": f"{pattern}/{split}-*.parquet"} for split in sorted(configs[name])]

    features = datasets.Features.from_arrow_schema(RECORD_SCHEMA)._to_yaml_list()
    order = sorted(configs, key=lambda n: (n != "all", n.startswith("task"), n))
    metadata = {
        "license": "other",
        "language": ["en"],
        "pretty_name": "MedS-Ins (test release)",
        "configs": [
            {
                "config_name": name,
                **({"default": True} if name == "all" else {}),
                "data_files": data_files(name),
            }
            for name in order
        ],
        "dataset_info": [
            {
                "config_name": name,
                "features": features,
                "splits": [
                    {"name": split, "num_bytes": nbytes[name, split], "num_examples": n}
                    for split, n in sorted(configs[name].items())
                ],
            }
            for name in order
        ],
    }
    metadata.update(card_metadata or {})
    card = root / "README.md"
    card.write_text(f"---\n{yaml.safe_dump(metadata, sort_keys=False)}---\n\n# MedS-Ins test release\n")
    files["README.md"] = ReleaseFile(sha256=sha256_file(card), bytes=card.stat().st_size)
    source_ids = sorted({r.source for r in records})
    provenance = {
        sid: SourceProvenance(
            **{"license": "CC-BY-4.0", "access": "open", "version": "1.0.0", **(sources or {}).get(sid, {})}
        )
        for sid in source_ids
    }
    per_source = {sid: sum(r.source == sid for r in records) for sid in source_ids}
    counts = {sid: FateCounts(entered=n, kept=n) for sid, n in per_source.items()}
    counts["total"] = FateCounts(entered=len(records), kept=len(records))
    manifest = ReleaseManifest(
        medsins_version="0.1.0",
        profile=profile,
        publishable=publishable,
        sources=provenance,
        counts=counts,
        configs=configs,
        files=files,
    )
    write_manifest(root, manifest)
    return root


def small_records(n: int = 3) -> list[Any]:
    """Records of two NER tasks and one QA task, train and test."""
    out = []
    for task, source in (("task27", "ncbi_disease"), ("task125", "bc4chemd")):
        for split in ("train", "test"):
            out += [make_record(task, source, "ner", "Named Entity Recognition", split, i) for i in range(n)]
    out += [make_record("task11", "pubmedqa", "qa", "Question Answering", "train", i) for i in range(n)]
    return out
