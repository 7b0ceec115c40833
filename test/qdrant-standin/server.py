"""A Qdrant stand-in for vgent's tests: Qdrant's REST endpoints, answered by the official Python
qdrant-client in local mode (QdrantClient(":memory:")), which is Qdrant's own reference
implementation of its search, scoring and filter semantics.

Only the endpoints vgent's Qdrant tier calls are served. Request bodies are parsed with
qdrant_client's REST models (the same pydantic models the Python client uses to talk to a real
server) and results are serialized from the same models, so the JSON on the wire has the server's
shape.

    python server.py [--port 0] [--api-key KEY]   # prints "READY <port>" once it accepts connections

With --api-key, every request but the root and health endpoints needs the header `api-key: KEY`
(or `Authorization: Bearer KEY`), as on a server configured with `service.api_key`: otherwise the
answer is 403 with a plain-text reason, as the server's auth middleware gives it.

Not a Qdrant server: no HNSW (search is exact), no persistence, no payload indexes (accepted and
listed in the collection info, with no effect on results), one lock around every call.
"""

import argparse
import json
import re
import sys
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version as package_version
from urllib.parse import urlsplit

from qdrant_client import QdrantClient
from qdrant_client.http import models

warnings.simplefilter("ignore")  # local mode warns that payload indexes have no effect

CLIENT_VERSION = package_version("qdrant-client")
local = QdrantClient(":memory:")
lock = threading.Lock()
# Payload indexes by collection: local mode accepts them without effect and does not list them, so
# they are recorded here and reported in the collection info, as the server does.
indexes = {}
# The key every request must carry (--api-key); None: no authentication.
api_key = None


class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def dump(value):
    """JSON-ready form of a model, a list of models, or a plain value."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def update_result():
    return {"operation_id": 0, "status": "completed"}


def list_collections(_name, _body, _query):
    return dump(local.get_collections())


def collection_exists(name, _body, _query):
    return {"exists": local.collection_exists(name)}


def get_collection(name, _body, _query):
    if not local.collection_exists(name):
        raise HttpError(404, f"Not found: Collection `{name}` doesn't exist!")
    info = dump(local.get_collection(name))
    info["payload_schema"] = {
        field: {"data_type": schema, "points": 0} for field, schema in indexes.get(name, {}).items()
    }
    return info


def create_collection(name, body, _query):
    if local.collection_exists(name):
        raise HttpError(409, f"Wrong input: Collection `{name}` already exists!")
    request = models.CreateCollection.model_validate(body or {})
    return local.create_collection(name, vectors_config=request.vectors)


def delete_collection(name, _body, _query):
    indexes.pop(name, None)
    return local.delete_collection(name)


def create_index(name, body, _query):
    request = models.CreateFieldIndex.model_validate(body)
    local.create_payload_index(name, field_name=request.field_name, field_schema=request.field_schema)
    schema = request.field_schema
    indexes.setdefault(name, {})[request.field_name] = getattr(schema, "value", None) or getattr(schema, "type", None) or str(schema)
    return update_result()


def upsert(name, body, _query):
    if "batch" in body:
        raise HttpError(400, "the stand-in accepts the points form of upsert only")
    request = models.PointsList.model_validate(body)
    local.upsert(name, points=request.points)
    return update_result()


def retrieve(name, body, _query):
    request = models.PointRequest.model_validate(body)
    with_payload = True if request.with_payload is None else request.with_payload
    with_vector = False if request.with_vector is None else request.with_vector
    return dump(local.retrieve(name, ids=request.ids, with_payload=with_payload, with_vectors=with_vector))


def delete_points(name, body, _query):
    if "points" in body:
        selector = models.PointIdsList.model_validate(body)
    else:
        selector = models.FilterSelector.model_validate(body)
    local.delete(name, points_selector=selector)
    return update_result()


def scroll(name, body, _query):
    request = models.ScrollRequest.model_validate(body or {})
    points, next_offset = local.scroll(
        name,
        scroll_filter=request.filter,
        limit=request.limit or 10,
        offset=request.offset,
        with_payload=True if request.with_payload is None else request.with_payload,
        with_vectors=False if request.with_vector is None else request.with_vector,
    )
    return {"points": dump(points), "next_page_offset": dump(next_offset)}


def count(name, body, _query):
    request = models.CountRequest.model_validate(body or {})
    return dump(local.count(name, count_filter=request.filter, exact=True))


def query_args(request):
    return {
        "query": request.query,
        "query_filter": request.filter,
        "search_params": request.params,
        "limit": request.limit if request.limit is not None else 10,
        "offset": request.offset,
        "with_payload": request.with_payload if request.with_payload is not None else False,
        "with_vectors": request.with_vector if request.with_vector is not None else False,
        "score_threshold": request.score_threshold,
    }


def query(name, body, _query):
    request = models.QueryRequest.model_validate(body)
    return dump(local.query_points(name, **query_args(request)))


def query_batch(name, body, _query):
    request = models.QueryRequestBatch.model_validate(body)
    return [dump(local.query_points(name, **query_args(r))) for r in request.searches]


ROUTES = [
    ("GET", r"/collections", list_collections),
    ("GET", r"/collections/([^/]+)/exists", collection_exists),
    ("GET", r"/collections/([^/]+)", get_collection),
    ("PUT", r"/collections/([^/]+)", create_collection),
    ("DELETE", r"/collections/([^/]+)", delete_collection),
    ("PUT", r"/collections/([^/]+)/index", create_index),
    ("PUT", r"/collections/([^/]+)/points", upsert),
    ("POST", r"/collections/([^/]+)/points", retrieve),
    ("POST", r"/collections/([^/]+)/points/delete", delete_points),
    ("POST", r"/collections/([^/]+)/points/count", count),
    ("POST", r"/collections/([^/]+)/points/scroll", scroll),
    ("POST", r"/collections/([^/]+)/points/query", query),
    ("POST", r"/collections/([^/]+)/points/query/batch", query_batch),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the JS client expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *_args):
        pass

    def send_json(self, status, payload):
        data = json.dumps(payload, allow_nan=False).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refused(self):
        """The server's answer to a request without the right key, or None when it may go on."""
        if api_key is None:
            return None
        bearer = self.headers.get("authorization") or ""
        given = self.headers.get("api-key") or (bearer[7:] if bearer.startswith("Bearer ") else None)
        if given is None:
            return "Must provide an API key or an Authorization bearer token"
        if given != api_key:
            return "Invalid API key or JWT"
        return None

    def handle_any(self, method):
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        is_health = method == "GET" and url.path in ("/healthz", "/livez", "/readyz")
        refused = None if is_health or url.path == "/" else self.refused()
        if refused:
            data = refused.encode()
            self.send_response(403)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        if method == "GET" and url.path == "/":
            return self.send_json(200, {"title": f"qdrant-client {CLIENT_VERSION} local mode (vgent stand-in)", "version": CLIENT_VERSION})
        if is_health:
            data = b"healthz check passed"
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        for route_method, pattern, handler in ROUTES:
            m = re.fullmatch(pattern, url.path)
            if route_method != method or not m:
                continue
            try:
                body = json.loads(raw) if raw else None
                with lock:
                    result = handler(m.group(1) if m.groups() else None, body, url.query)
                return self.send_json(200, {"result": result, "status": "ok", "time": 0})
            except HttpError as e:
                return self.send_json(e.status, {"status": {"error": str(e)}, "time": 0})
            except Exception as e:  # a bad request, as the server would answer it
                status = 404 if "not found" in str(e).lower() else 400
                return self.send_json(status, {"status": {"error": f"{type(e).__name__}: {e}"}, "time": 0})
        self.send_json(404, {"status": {"error": f"the stand-in does not serve {method} {url.path}"}, "time": 0})

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()
    global api_key
    api_key = args.api_key
    ThreadingHTTPServer.request_queue_size = 1024  # ava opens many connections at once; the default backlog (5) resets them
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
