"""Fixtures for the REST client and ``lunora workflows`` tests: a fake Cloudflare over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lunora_workflow.rest import RetryPolicy

from .rest_fake_cloudflare import SAMPLE_STEPS, FakeCloudflare, FakeInstance, serve

ACCOUNT = "acc-123"
TOKEN = "tok-SECRET-abc123"


class Sleeps(list[float]):
    """Records every wait the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> RetryPolicy:
    # rand() == 1.0 makes the jittered backoff equal to its ceiling: predictable waits.
    return RetryPolicy(sleep=sleeps, async_sleep=sleeps.async_sleep, rand=lambda: 1.0)


def seeded(dialect: str = "cloudflare") -> FakeCloudflare:
    fake = FakeCloudflare(account_id=ACCOUNT, token=TOKEN, dialect=dialect)
    fake.add_workflow("order-pipeline", "OrderPipelineWorkflow")
    fake.add_workflow("orders", "CheckoutWorkflow")
    fake.add_workflow("channel-welcome", "ChannelWelcomeWorkflow")
    for n in range(7):
        fake.add_instance(
            "order-pipeline",
            FakeInstance(
                id=f"inst-{n}",
                status="complete" if n % 2 else "running",
                created_on=f"2026-11-20T10:0{n}:00.000Z",
            ),
        )
    fake.add_instance(
        "order-pipeline",
        FakeInstance(
            id="detailed",
            status="errored",
            params={"order_id": 7},
            steps=SAMPLE_STEPS,
            error={"name": "NonRetryableError", "message": "address invalid"},
            created_on="2026-11-20T10:00:00.000Z",
        ),
    )
    return fake


@pytest.fixture
def fake() -> FakeCloudflare:
    return seeded()


@pytest.fixture
def server(fake: FakeCloudflare) -> Iterator[str]:
    with serve(fake) as url:
        yield url


@pytest.fixture
def local_fake() -> FakeCloudflare:
    return seeded("local")


@pytest.fixture
def local_server(local_fake: FakeCloudflare) -> Iterator[str]:
    with serve(local_fake) as url:
        yield url
