"""/metrics and the request log of a real `serve` with two workers: what Prometheus scrapes from
either worker is the sum of both, and each request leaves one JSON line on serve's output."""
from __future__ import annotations

import http.client
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, serving

pytestmark = pytest.mark.e2e

CONNECTIONS = 10


def healthz_count(port: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "progress_requests_total" and sample.labels["route"] == "/healthz")


def test_a_scrape_from_either_worker_sums_both_and_each_request_logs_one_json_line(new_database, tmp_path):
    with serving(new_database(), tmp_path, ADMIN, ADMIN_PASSWORD, arguments=("--workers", "2")) as service:
        start = healthz_count(service.port)
        # open together, the connections are shared out between the two workers
        conns = [http.client.HTTPConnection("127.0.0.1", service.port, timeout=10) for _ in range(CONNECTIONS)]
        for conn in conns:
            conn.connect()
        for number, conn in enumerate(conns):
            conn.request("GET", "/healthz", headers={"X-Request-Id": f"scrape-test-{number}"})
            answer = conn.getresponse()
            answer.read()
            assert answer.getheader("X-Request-Id") == f"scrape-test-{number}"
        for conn in conns:
            conn.close()
        assert [healthz_count(service.port) - start for _ in range(4)] == [CONNECTIONS] * 4
        logged = [json.loads(line) for line in service.log_path.read_text().splitlines()
                  if line.startswith("{") and "scrape-test-" in line]
    assert sorted(line["request_id"] for line in logged) == sorted(f"scrape-test-{n}" for n in range(CONNECTIONS))
    assert {(line["route"], line["status"]) for line in logged} == {("/healthz", 200)}
