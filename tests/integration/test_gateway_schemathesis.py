"""Property-based fuzzing of the running gateway from its committed OpenAPI document: no input yields a 5xx."""

import asyncio
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from services.common.auth import issue_dev_token
from services.gateway.openapi import COMMITTED
from tests.helpers import ServiceProcess

pytestmark = pytest.mark.integration

schema = schemathesis.openapi.from_path(COMMITTED)
CLIENT_ID = uuid.uuid4()


@pytest.fixture(scope="module")
def fuzzed_gateway(service_env, tmp_path_factory):
    """The gateway as a process, auth off (so generated bodies reach Kafka) and no rate limit in the way."""
    from services.common.stack import free_port

    port = free_port()
    env = service_env | {"RAPPORT_GATEWAY_PORT": str(port), "RAPPORT_GATEWAY_AUTH_REQUIRED": "false",
                         "RAPPORT_GATEWAY_RATE_LIMIT_BURST": "100000", "RAPPORT_GATEWAY_KAFKA_ACK_TIMEOUT_S": "10"}
    proc = ServiceProcess(["gateway"], env, tmp_path_factory.mktemp("fuzz"), f"http://127.0.0.1:{port}/healthz").start()
    try:
        asyncio.run(proc.wait_healthy())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()
        assert "Traceback" not in proc.log_path.read_text(errors="replace"), proc.log_tail()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_makes_the_gateway_fail(case, fuzzed_gateway):
    # Without a token the generated client_ids are accepted (auth is off), so the bodies reach Kafka.
    headers = {"Authorization": f"Bearer {issue_dev_token(str(CLIENT_ID), 'client')}"} if case.method == "GET" else {}
    case.call_and_validate(base_url=fuzzed_gateway, headers=headers, timeout=20,
                           checks=[not_a_server_error, status_code_conformance, response_schema_conformance])

