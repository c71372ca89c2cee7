"""A local Hugging Face Hub for tests: a real HTTP server on 127.0.0.1.

It implements the part of the Hub API that ``huggingface_hub`` (uploads,
listings, downloads) and ``datasets`` (``load_dataset`` through ``HfFileSystem``)
call, so both clients run unmodified against it with ``HF_ENDPOINT`` pointed at
the server. Nothing is kept in memory only: every repository is a
content-addressed folder on disk, so the state survives a server restart::

    <root>/repos/<type>s/<ns>/<name>/
        repo.json               visibility, owner, PR counter
        objects/<sha256>        file contents (LFS, Xet and regular alike)
        commits/<oid>.json      {parents, title, message, date, tree: {path: {sha256, size, lfs}}}
        refs/heads/<branch>     commit oid
        refs/pr/<n>             commit oid of a pull request's head
        discussions/<n>.json    pull requests
    <root>/cas/xorbs/<hash>     Xet xorbs (chunk data), shared by all repositories

Uploads take the client's default path. ``huggingface_hub`` decides alone,
without asking the server: with ``hf_xet`` installed, every LFS-mode file goes
through Xet storage (``_commit_api._upload_files``); it falls back to git-LFS
only for a file object or without ``hf_xet``. So the server speaks both: the
Xet upload side (``xet-write-token``, then a CAS under ``/cas/<id>`` taking
xorbs and shards; each shard's files are rebuilt from the xorbs, LZ4 and
byte-grouping undone, and kept only if their sha256 is the one the shard
gives) and the git-LFS "basic" transfer. Downloads are plain HTTP: ``resolve``
sends no ``X-Xet-Hash`` and listings no ``xetHash``, which is how the clients
decide not to download through Xet, so the Xet download protocol
(reconstructions) is not spoken. Tokens are checked: only tokens the fixture
registers are accepted, anything else is a 401 like on the real Hub.
:meth:`HubServer.fail` injects faults (an HTTP status or a dropped connection)
into the N-th call of a route, and :attr:`HubServer.log` records every request
(method, route, status, error message, the file contents it stored) so tests
can say which routes the clients used and what they uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
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

    # -- the Xet CAS: one store of xorbs for all repositories, like the Hub's
    def xorb_path(self, xorb_hash: str) -> Path:
        return self.root / "cas" / "xorbs" / xorb_hash

    def put_xorb(self, xorb_hash: str, data: bytes) -> bool:
        """Store a serialized xorb; False when it was already there."""
        if self.xorb_path(xorb_hash).is_file():
            return False
        _atomic_write(self.xorb_path(xorb_hash), data)
        return True

    def reconstruct(self, item: ShardFile) -> bytes:
        """A file's bytes from the chunk ranges of the xorbs its shard entry names (400 if one is missing)."""
        parts = []
        for xorb_hash, first, end, length in item.segments:
            path = self.xorb_path(xorb_hash)
            if not path.is_file():
                raise HubError(400, f"file {item.file_hash} needs xorb {xorb_hash}, which was never uploaded")
            data = path.read_bytes()
            try:
                chunks = xorb_chunks(data)
                if not 0 <= first < end <= len(chunks):
                    raise ValueError(f"chunks {first}..{end} are not in a xorb of {len(chunks)}")
                part = b"".join(xorb_chunk_data(data, chunk) for chunk in chunks[first:end])
            except ValueError as exc:
                raise HubError(400, f"file {item.file_hash}: {exc}") from None
            if len(part) != length:
                raise HubError(400, f"file {item.file_hash}: a segment has {len(part)} bytes, not {length}")
            parts.append(part)
        return b"".join(parts)


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
    error: str = ""  # the message of an error answer
    stored: list[str] = field(default_factory=list)  # sha256 of the file contents this upload stored


@dataclass(frozen=True)
class XetGrant:
    """A CAS access token: which repository it is for, whether it may write, until when."""

    repo_type: str
    repo_id: str
    write: bool
    expires: int


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
    # Xet: the CAS lives under /cas/<cas_id> (new on every start, like a CAS host the client has
    # never seen, so its local shard cache never vouches for chunks of another server), and the
    # short-lived CAS tokens the Hub handed out, each bound to one repository.
    cas_id: str = field(default_factory=lambda: secrets.token_hex(4))
    xet_grants: dict[str, XetGrant] = field(default_factory=dict)


# --------------------------------------------------------------------------- routing

_REPO = r"(?P<ns>[\w.\-]+)/(?P<name>[\w.\-]+)"
_TYPE = r"(?P<type>models|datasets|spaces)"
_PREFIX = r"(?:(?P<prefix>datasets|spaces)/)?"
_CAS = r"/cas/(?P<cas>[0-9a-f]+)"

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
        # Xet: the Hub hands out CAS tokens; the CAS takes xorbs (chunk data) and shards (files).
        ("GET", "xet_token", rf"/api/{_TYPE}/{_REPO}/xet-(?P<scope>read|write)-token/(?P<rev>[^/]+)"),
        ("POST", "xet_xorb_grant", rf"{_CAS}/v1/xorb-grants/(?P<kind>[\w-]+)/(?P<hash>[0-9a-f]{{64}})"),
        ("POST", "xet_xorb", rf"{_CAS}/v1/xorbs/(?P<kind>[\w-]+)/(?P<hash>[0-9a-f]{{64}})"),
        ("POST", "xet_shard", rf"{_CAS}/v1/shards"),
        ("POST", "xet_shard_v2", rf"{_CAS}/v2/shards"),
        ("GET", "xet_dedup", rf"{_CAS}/v1/chunks/(?P<kind>[\w-]+)/(?P<hash>[0-9a-f]{{64}})"),
        ("POST", "xet_telemetry", rf"{_CAS}/v1/telemetry"),
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
        self.entry = entry
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
            entry.error = err.message
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
        self.entry.stored.append(repo.put_object(body))
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

    # -- routes: Xet storage (uploads; downloads are served by ``resolve``, see the module docstring)
    def route_xet_token(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        """A CAS token for one repository, in the JSON body (hf_xet) and the headers (huggingface_hub)."""
        write = params["scope"] == "write"
        repo = self._repo(params, write=write)
        token, expires = "xet_" + secrets.token_hex(16), int(time.time()) + 3600
        with self.state.lock:
            self.state.xet_grants[token] = XetGrant(repo.repo_type, repo.repo_id, write, expires)
        cas_url = f"{self._base()}/cas/{self.state.cas_id}"
        headers = {"X-Xet-Cas-Url": cas_url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(expires)}
        return 200, headers, {"casUrl": cas_url, "accessToken": token, "exp": expires}

    def _xet_grant(self, params: dict[str, Any], *, write: bool) -> XetGrant:
        """The grant of the request's CAS token; 401 without a valid one, 403 to write with a read token."""
        grant = self.state.xet_grants.get(self.headers.get("Authorization", "").removeprefix("Bearer ").strip())
        if params["cas"] != self.state.cas_id or grant is None or grant.expires < time.time():
            raise HubError(401, "invalid or expired CAS token")
        if write and not grant.write:
            raise HubError(403, "this CAS token may not write")
        return grant

    def route_xet_xorb(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        self._xet_grant(params, write=True)
        if params["kind"] != "default":
            raise HubError(400, f"unknown xorb prefix {params['kind']!r}")
        try:
            xorb_chunks(body)
        except ValueError as exc:
            raise HubError(400, f"bad xorb serialization: {exc}") from None
        return 200, {}, {"was_inserted": self.state.store.put_xorb(params["hash"], body)}

    def route_xet_xorb_grant(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        # Upload grants (a signed URL per xorb) are optional: on 404 the client POSTs the xorb itself.
        self._xet_grant(params, write=True)
        raise HubError(404, "xorb upload grants are not offered here: POST the xorb to /v1/xorbs")

    def route_xet_shard(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        """Register a shard: rebuild each of its files from the xorbs and store it in the token's repo."""
        grant = self._xet_grant(params, write=True)
        repo = self.state.store.get(grant.repo_type, grant.repo_id)
        if repo is None:
            raise HubError(404, "Repository not found", "RepoNotFound")
        try:
            files = shard_files(body)
        except ValueError as exc:
            raise HubError(400, f"bad shard serialization: {exc}") from None
        for item in files:
            data = self.state.store.reconstruct(item)
            if item.sha256 is not None and hashlib.sha256(data).hexdigest() != item.sha256:
                raise HubError(400, f"file {item.file_hash}: its bytes do not have the sha256 the shard gives")
            self.entry.stored.append(repo.put_object(data))
        return 200, {}, {"result": 1}

    def route_xet_shard_v2(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        # The streaming shard API is optional: 501 tells the client to use /v1/shards.
        raise HubError(501, "the v2 shard API is not implemented here")

    def route_xet_dedup(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        # No global deduplication: every chunk is news to this CAS (the client then uploads it).
        self._xet_grant(params, write=False)
        raise HubError(404, "chunk not tracked by global deduplication")

    def route_xet_telemetry(self, params: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], Any]:
        return 200, {}, {}  # fire-and-forget on the client's side: accepted and dropped


# --------------------------------------------------------------------------- Xet storage formats
# What the CAS needs to turn an upload back into file bytes: the xorb chunk framing, LZ4 frames,
# the byte grouping of "bg4-lz4" chunks, and the file sections of a shard. Hashes are taken as
# the client sends them (the CAS of the real Hub checks them; this one checks the sha256 of every
# reconstructed file instead, which catches any misreading of the formats).

#: A serialized xorb ends with a footer that starts with this tag (no chunk header can).
XORB_FOOTER_TAG = b"XETBLOB"
#: The first 32 bytes of every shard ("HFRepoMetaData" and a magic number).
SHARD_TAG = b"HFRepoMetaData\x00" + bytes(
    [85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169]
)
_BOOKEND = b"\xff" * 32
_FLAG_VERIFICATION = 1 << 31
_FLAG_METADATA_EXT = 1 << 30


def xet_hex(digest: bytes) -> str:
    """A 32-byte Xet hash as the API writes it: four little-endian u64 words, each in hex."""
    return "".join(digest[i : i + 8][::-1].hex() for i in range(0, 32, 8))


def lz4_frame_decompress(data: bytes) -> bytes:
    """Decode one LZ4 frame (the format ``lz4_flex::frame`` writes), in pure Python."""
    if data[:4] != b"\x04\x22\x4d\x18":
        raise ValueError("not an LZ4 frame")
    flags = data[4]
    if flags >> 6 != 1 or flags & 0x01:  # version 01, no dictionary
        raise ValueError("unsupported LZ4 frame flags")
    pos = 6 + (8 if flags & 0x08 else 0) + 1  # FLG, BD, [content size], header checksum
    out = bytearray()
    while True:
        size = int.from_bytes(data[pos : pos + 4], "little")
        pos += 4
        if size == 0:
            return bytes(out)
        block = data[pos : pos + (size & 0x7FFFFFFF)]
        pos += (size & 0x7FFFFFFF) + (4 if flags & 0x10 else 0)
        if size & 0x80000000:  # stored uncompressed
            out += block
        else:
            _lz4_block(block, out)


def _lz4_block(src: bytes, out: bytearray) -> None:
    """Append the decoded LZ4 block ``src`` to ``out`` (matches may reach into earlier blocks)."""
    i, n = 0, len(src)
    while i < n:
        token = src[i]
        i += 1
        length = token >> 4
        if length == 15:
            while True:
                i, extra = i + 1, src[i]
                length += extra
                if extra != 255:
                    break
        out += src[i : i + length]
        i += length
        if i >= n:  # the last sequence has literals only
            return
        offset = src[i] | src[i + 1] << 8
        i += 2
        length = token & 15
        if length == 15:
            while True:
                i, extra = i + 1, src[i]
                length += extra
                if extra != 255:
                    break
        length += 4
        start = len(out) - offset
        if offset == 0 or start < 0:
            raise ValueError("corrupt LZ4 block: bad match offset")
        match = out[start : start + length]
        if len(match) < length:  # an overlapping match repeats its pattern
            match = (match * (length // len(match) + 1))[:length]
        out += match


def bg4_regroup(grouped: bytes) -> bytes:
    """Undo the 4-way byte grouping of ``bg4-lz4`` chunks (byte ``4i+j`` went to group ``j``)."""
    n = len(grouped)
    sizes = [n // 4 + (1 if n % 4 > j else 0) for j in range(4)]
    out = bytearray(n)
    pos = 0
    for j, size in enumerate(sizes):
        out[j::4] = grouped[pos : pos + size]
        pos += size
    return bytes(out)


def xorb_chunks(data: bytes) -> list[tuple[int, int, int, int]]:
    """``(scheme, offset, compressed length, length)`` of every chunk of a serialized xorb."""
    chunks = []
    pos = 0
    while pos < len(data) and data[pos : pos + len(XORB_FOOTER_TAG)] != XORB_FOOTER_TAG:
        if pos + 8 > len(data):
            raise ValueError("truncated chunk header")
        version, scheme = data[pos], data[pos + 4]
        packed = int.from_bytes(data[pos + 1 : pos + 4], "little")
        length = int.from_bytes(data[pos + 5 : pos + 8], "little")
        if version != 0 or scheme not in (0, 1, 2):
            raise ValueError(f"bad chunk header at byte {pos}")
        if pos + 8 + packed > len(data):
            raise ValueError("truncated chunk")
        chunks.append((scheme, pos + 8, packed, length))
        pos += 8 + packed
    if not chunks:
        raise ValueError("a xorb without chunks")
    return chunks


def xorb_chunk_data(data: bytes, chunk: tuple[int, int, int, int]) -> bytes:
    """The bytes of one chunk of a xorb, decompressed."""
    scheme, offset, packed, length = chunk
    raw = data[offset : offset + packed]
    out = raw if scheme == 0 else lz4_frame_decompress(raw)
    if scheme == 2:
        out = bg4_regroup(out)
    if len(out) != length:
        raise ValueError("a chunk's length disagrees with its header")
    return out


@dataclass
class ShardFile:
    """One file of a shard: its Xet hash, where its bytes are, and its sha256 when given."""

    file_hash: str
    segments: list[tuple[str, int, int, int]]  # (xorb hash, first chunk, end chunk, length)
    sha256: str | None  # hex, as hashlib writes it


def shard_files(data: bytes) -> list[ShardFile]:
    """The file section of a shard as uploaded (header, file infos, xorb infos; no footer)."""
    if data[:32] != SHARD_TAG or int.from_bytes(data[32:40], "little") != 2:
        raise ValueError("not a version 2 shard")
    files = []
    pos = 48
    while True:
        if pos + 48 > len(data):
            raise ValueError("truncated shard file section")
        file_hash = data[pos : pos + 32]
        flags = int.from_bytes(data[pos + 32 : pos + 36], "little")
        count = int.from_bytes(data[pos + 36 : pos + 40], "little")
        pos += 48
        if file_hash == _BOOKEND:
            return files
        segments = []
        for _ in range(count):
            xorb = data[pos : pos + 32]
            length, first, end = (int.from_bytes(data[pos + k : pos + k + 4], "little") for k in (36, 40, 44))
            segments.append((xet_hex(xorb), first, end, length))
            pos += 48
        if flags & _FLAG_VERIFICATION:
            pos += 48 * count
        sha256 = None
        if flags & _FLAG_METADATA_EXT:  # the sha256 is stored like every other hash: as four u64 words
            sha256 = xet_hex(data[pos : pos + 32])
            pos += 48
        files.append(ShardFile(xet_hex(file_hash), segments, sha256))


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

    def uploaded(self, since: int = 0) -> list[str]:
        """sha256 of every file content uploaded (Xet shard or LFS PUT) by the requests from ``log[since]`` on."""
        return [sha for r in self.log[since:] if r.status == 200 for sha in r.stored]

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
    token: str  # write token of user "medsins-bot" (member of the orgs "medsins" and "my-org")
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
        root / "store", {token: "medsins-bot", other: "someone-else"}, orgs={"medsins-bot": {"medsins", "my-org"}}
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
    repo_id: str = "medsins/meds-ins",
    croissant: bool = False,
) -> Path:
    """Write a release folder for ``records``: shards per config/task/split, card, manifest.

    The card names ``repo_id`` the way the real card does (the hidden repo line
    :func:`medsins.release.card.retarget_card` reads, a link, the loading examples).
    """
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
    body = [
        f"<!-- medsins:repo_id={repo_id} -->",
        "",
        "# MedS-Ins test release",
        "",
        f"Published as [`{repo_id}`](https://huggingface.co/datasets/{repo_id}).",
        "",
        "```python",
        f'ds = load_dataset("{repo_id}", "ner")',
        f'df = pl.read_parquet("hf://datasets/{repo_id}/data/ner/*/train-*.parquet")',
        "```",
    ]
    card.write_text(f"---\n{yaml.safe_dump(metadata, sort_keys=False)}---\n\n" + "\n".join(body) + "\n")
    files["README.md"] = ReleaseFile(sha256=sha256_file(card), bytes=card.stat().st_size)
    if croissant:  # a minimal croissant.json: what push cares about is its "url" naming the repository
        document = {
            "@type": "sc:Dataset",
            "name": "MedS-Ins test release",
            "url": f"https://huggingface.co/datasets/{repo_id}",
        }
        path = root / "croissant.json"
        path.write_text(json.dumps(document, indent=1) + "\n")
        files["croissant.json"] = ReleaseFile(sha256=sha256_file(path), bytes=path.stat().st_size)
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
