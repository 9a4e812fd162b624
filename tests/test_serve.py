"""`phraser serve` over real HTTP: the command started as a process on a free port, asked
with http.client, answers compared with what the CLI prints with --json."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from cli import cli
from phraser import serve

PHRASER = str(Path(sys.executable).with_name("phraser"))
SERVING = re.compile(r"serving (http://\S+) ")


class Server:
    """A running `phraser serve`, stopped with Ctrl-C (SIGINT) as a user would."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [PHRASER, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        for line in self.proc.stderr:
            self.stderr.append(line)
            if m := SERVING.search(line):
                self.url = m.group(1)
                break
        else:
            raise AssertionError(f"serve did not start: {''.join(self.stderr)}")
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                (response.read()),
            )
        finally:
            conn.close()

    def get_json(self, path: str, **params) -> tuple[int, object]:
        status, _, body = self.request("GET", path + ("?" + urlencode(params) if params else ""))
        return status, json.loads(body)

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        _, rest = self.proc.communicate(timeout=30)
        return self.proc.returncode, "".join(self.stderr) + rest


@pytest.fixture(scope="module")
def server(small_bank):
    s = Server("--db", str(small_bank))
    yield s
    code, stderr = s.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def cli_json(runner, *args: str) -> list:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# -- the API answers as the CLI prints ------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["狠抓落失", "以科学发展观作为指导", "统一思想、", "各级党委要高度重视安全生产", " "]
)
def test_suggest_answers_as_suggest_json(server, runner, small_bank, query):
    status, answer = server.get_json("/api/suggest", q=query, top=5)
    assert status == 200
    result = runner.invoke(
        cli, ["suggest", "--json", "--db", str(small_bank), "--file", "-"], input=query + "\n"
    )
    assert answer == json.loads(result.stdout)


def test_a_typo_comes_with_its_rewrite(server):
    _, answer = server.get_json("/api/suggest", q="狠抓落失")
    assert answer["suggestions"][0] == {
        "text": "狠抓落实",
        "kind": "phrase",
        "match": "typo",
        "score": answer["suggestions"][0]["score"],
        "why": answer["suggestions"][0]["why"],
        "rewrite": "狠抓落实",
    }


@pytest.mark.parametrize("pattern", ["以*为指导", "?抓?管", "高度*", "没有这样的*"])
def test_search_answers_as_search_json(server, runner, small_bank, pattern):
    status, rows = server.get_json("/api/search", pattern=pattern, limit=30)
    assert status == 200
    assert rows == cli_json(runner, "search", "--json", "--db", str(small_bank), pattern)
    if pattern == "以*为指导":
        assert {"以……为指导", "以科学发展观为指导"} <= {r["text"] for r in rows}


@pytest.mark.parametrize("text", ["齐抓共管", "以……为指导"])
def test_a_phrase_card_answers_as_show_json(server, runner, small_bank, text):
    status, entry = server.get_json("/api/phrases/" + quote(text, safe=""))
    assert status == 200
    shown = runner.invoke(cli, ["show", "--json", "--db", str(small_bank), text])
    assert entry == json.loads(shown.stdout)
    assert entry["examples"]


def post_json(server, path: str, payload) -> tuple[int, object]:
    status, _, body = server.request(
        "POST",
        path,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    return status, json.loads(body)


@pytest.mark.parametrize(
    "text",
    [
        "各级各部门要高度重视，狠抓落失。\n要以科学发展观作为指导，齐抓共关。",
        "我们非常重视安全。",
        "<script>alert(1)</script>狠抓落失",
        "没有问题的句子。",
        "",
    ],
)
def test_check_answers_as_check_json_on_stdin(server, small_bank, text):
    status, answer = post_json(server, "/api/check", {"text": text})
    assert status == 200
    printed = subprocess.run(
        [PHRASER, "check", "--json", "--db", str(small_bank), "-"],
        input=text.encode(),
        capture_output=True,
        timeout=60,
    )
    assert answer == json.loads(printed.stdout)


def test_check_points_at_the_typo_and_its_fix(server):
    text = "各级各部门要高度重视，狠抓落失。\n要以科学发展观作为指导，齐抓共关。"
    _, answer = post_json(server, "/api/check", {"text": text})
    typos = [f for f in answer["findings"] if f["level"] == "typo"]
    assert [(f["wrong"], f["right"]) for f in typos] == [
        ("狠抓落失", "狠抓落实"),
        ("齐抓共关", "齐抓共管"),
    ]
    for f in answer["findings"]:
        assert text[f["offset"] : f["offset"] + f["length"]] == f["wrong"]
    assert (typos[1]["line"], typos[1]["col"]) == (2, 13)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"text": 1}', "application/json"),
        (b"not json", "application/json"),
        (b'{"text": "x"}', "text/plain"),
        (b"{}", "application/json"),
    ],
)
def test_check_refuses_what_is_not_a_draft(server, body, content_type):
    status, _, _ = server.request(
        "POST", "/api/check", body=body, headers={"Content-Type": content_type}
    )
    assert status == 422


def test_an_unknown_phrase_is_404_with_a_message(server):
    status, body = server.get_json("/api/phrases/" + quote("没有这个词", safe=""))
    assert status == 404
    assert body == {"detail": "「没有这个词」 is not in the bank"}


def test_an_empty_pattern_is_refused(server):
    status, body = server.get_json("/api/search", pattern="  ")
    assert status == 422
    assert body["detail"] == "empty pattern"


def test_requests_at_once_all_get_their_own_answer(server):
    queries = ["狠抓落失", "高度重视", "齐抓共管", "以科学发展观作为指导"] * 4
    answers: dict[int, object] = {}

    def ask(i: int, q: str) -> None:
        answers[i] = server.get_json("/api/suggest", q=q)[1]

    threads = [threading.Thread(target=ask, args=(i, q)) for i, q in enumerate(queries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [answers[i]["query"] for i in range(len(queries))] == queries


# -- the page and its documentation ---------------------------------------------------------


def test_the_page_and_its_files_are_served_from_this_server_only(server):
    status, headers, body = server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = body.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == ["/static/app.js", "/static/style.css"]
    for asset in assets:
        status, _, text = server.request("GET", asset)
        assert status == 200
        assert not re.search(rb"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text)
    assert "content-security-policy" in headers
    assert "default-src 'none'" in headers["content-security-policy"]


def test_the_api_is_documented_and_swagger_ui_is_not_fetched_from_a_cdn(server):
    status, schema = server.get_json("/openapi.json")
    assert status == 200
    assert {"/api/suggest", "/api/check", "/api/search", "/api/phrases/{text}"} <= set(
        schema["paths"]
    )
    assert schema["paths"]["/api/suggest"]["get"]["description"]
    assert server.request("GET", "/docs")[0] == 404


# -- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_local_host_headers_are_served(server, host):
    status, _, _ = server.request("GET", "/", headers={"Host": f"{host}:{server.port}"})
    assert status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", ""])
def test_a_foreign_host_header_is_refused(server, host):
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1."""
    status, _, body = server.request(
        "GET", "/api/suggest?q=" + quote("高度重视"), headers={"Host": host}
    )
    assert status == 400
    assert "is not served here" in json.loads(body)["detail"]


def test_user_text_comes_back_as_json_never_as_a_page(server):
    q = "<script>alert(1)</script>高度重视"
    status, headers, body = server.request("GET", "/api/suggest?" + urlencode({"q": q}))
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert json.loads(body)["query"] == q


def test_a_long_query_is_refused(server):
    status, _ = server.get_json("/api/suggest", q="高" * (serve.MAX_QUERY_CHARS + 1))
    assert status == 422
    status, _ = server.get_json("/api/search", pattern="高" * (serve.MAX_PATTERN_CHARS + 1))
    assert status == 422


def test_a_large_body_is_refused_by_its_length_before_it_is_sent(server):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.putrequest("POST", "/api/check")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(serve.MAX_BODY_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert "request body over" in json.loads(response.read())["detail"]
    finally:
        conn.close()


def test_a_large_chunked_body_is_refused_as_it_arrives(server):
    def chunks():
        for _ in range(serve.MAX_BODY_BYTES // 4096 + 2):
            yield b"x" * 4096

    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/api/check",
            body=chunks(),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        assert conn.getresponse().status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered 413 and closed while we were still sending
    finally:
        conn.close()


@pytest.mark.parametrize(
    "header, name",
    [
        ("localhost:8765", "localhost"),
        ("[::1]:8765", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("Example.ORG", "example.org"),
        ("::1", "::1"),
    ],
)
def test_host_name_drops_the_port(header, name):
    assert serve.host_name(header) == name


def test_only_loopback_is_local():
    assert all(map(serve.is_local, ["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]"]))
    assert not any(map(serve.is_local, ["0.0.0.0", "192.168.1.5", "example.org", "::"]))


# -- the command ------------------------------------------------------------------------------


def test_another_host_is_warned_about_and_accepted_by_name(small_bank):
    s = Server("--db", str(small_bank), "--host", "0.0.0.0")
    try:
        assert "warning: listening on 0.0.0.0" in "".join(s.stderr)
        ok, _, _ = s.request("GET", "/", headers={"Host": f"{socket.gethostname()}:{s.port}"})
        refused, _, _ = s.request("GET", "/", headers={"Host": "evil.example"})
        assert (ok, refused) == (200, 400)
    finally:
        code, stderr = s.stop()
    assert code == 0, stderr


def test_a_busy_port_is_a_one_line_error(server, small_bank):
    result = subprocess.run(
        [PHRASER, "serve", "--db", str(small_bank), "--port", str(server.port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{server.port}")
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_a_bank_is_a_one_line_error(runner, tmp_path):
    bad = tmp_path / "bank.sqlite"
    bad.write_text("not a bank")
    result = runner.invoke(cli, ["serve", "--db", str(bad), "--port", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "is not a phraser bank" in result.stderr
