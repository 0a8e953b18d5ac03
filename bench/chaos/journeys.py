"""A steady stream of client journeys through the HTTP APIs, and what each should cause.

A journey: a coach refers a client (half prefer email, half SMS), assesses and onboards
them. Each step carries an ``Idempotency-Key`` and is tried again while the API is down
or answers 5xx/503 (as a careful client does), so a fault on the server side never
turns into a journey the client gave up on without the suite knowing.

Expected effects of each onboarded journey, exactly once: a drafted plan (plans), a
welcome nudge sent and its message accepted by the SMTP sink or the SMS provider, and
the weekly digest reminder scheduled (notifications).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from tests.support.api import daytime_timezone

GIVE_UP_SECONDS = 180.0


class AnswerLost(RuntimeError):
    """The request was carried out but its answer was lost (409 without Retry-After)."""


@dataclass
class Journey:
    number: int
    window: str
    channel: str  # "email" or "sms"
    address: str
    started: float
    client_id: str | None = None
    onboarded_at: float | None = None
    gave_up: str | None = None  # why the API never took the journey

    @property
    def finished_http(self) -> bool:
        return self.onboarded_at is not None or self.gave_up is not None


@dataclass
class Stream:
    """Starts ``rate`` journeys a second, each tagged with the window current at start."""

    base_urls: dict[str, str]
    token: str
    coach_id: str
    rate: float
    window: str = "warm-up"
    journeys: list[Journey] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._numbers = itertools.count(1)
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="journey")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def start(self) -> Stream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def of_window(self, window: str) -> list[Journey]:
        with self._lock:
            return [j for j in self.journeys if j.window == window]

    def _run(self) -> None:
        started = time.monotonic()
        for i in itertools.count():
            if self._stop.wait(max(0.0, started + i / self.rate - time.monotonic())):
                return
            number = next(self._numbers)
            channel = "email" if number % 2 else "sms"
            address = (
                f"client{number}@chaos.example.net" if channel == "email" else f"+61412{number:06d}"
            )
            journey = Journey(number, self.window, channel, address, time.time())
            with self._lock:
                self.journeys.append(journey)
            self._pool.submit(self._travel, journey)

    def _call(self, method: str, service: str, path: str, body: dict, key: str) -> dict:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        pause = 0.2
        while True:
            try:
                reply = requests.request(
                    method,
                    self.base_urls[service] + path,
                    json=body,
                    headers=headers,
                    timeout=10,
                )
                if reply.status_code < 300:
                    return reply.json()
                if reply.status_code == 409 and "Retry-After" not in reply.headers:
                    # Carried out, but its answer was lost in an outage: look for the
                    # result, as the answer says, instead of sending it again.
                    raise AnswerLost(reply.text[:300])
                # 409 with Retry-After: the key's first request still holds it (or held it
                # when the database went away); any other 4xx is an answer.
                retryable = reply.status_code in (408, 429) or (
                    reply.status_code == 409 and "Retry-After" in reply.headers
                )
                if reply.status_code < 500 and not retryable:
                    raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
                retry_after = reply.headers.get("Retry-After", "")
                wait = float(retry_after) if retry_after.isdigit() else pause
            except requests.RequestException:
                wait = pause
            if self._stop.is_set() or time.monotonic() + wait > deadline:
                raise RuntimeError(f"{method} {path}: the API did not answer in time")
            time.sleep(min(wait, 5.0))
            pause = min(pause * 2, 2.0)

    def _client_referred(self, reference: str, since: str) -> dict:
        """The client a POST whose answer was lost created: found by its reference among
        the clients changed since the journey began."""
        cursor = None
        while True:
            query = {"updated_since": since, "limit": 100} | ({"cursor": cursor} if cursor else {})
            reply = requests.get(
                self.base_urls["intake"] + "/v1/clients",
                params=query,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=10,
            )
            reply.raise_for_status()
            page = reply.json()
            for client in page["items"]:
                if client.get("external_reference") == reference:
                    return client
            cursor = page.get("next_cursor")
            if not cursor:
                raise RuntimeError(f"POST /v1/clients: answer lost, and no client {reference}")

    def _refer(self, journey: Journey, body: dict) -> dict:
        reference = f"chaos-{journey.number}-{uuid.uuid4().hex[:8]}"
        since = datetime.fromtimestamp(journey.started - 60, UTC).isoformat()
        try:
            return self._call(
                "POST",
                "intake",
                "/v1/clients",
                body | {"external_reference": reference},
                str(uuid.uuid4()),
            )
        except AnswerLost:
            return self._client_referred(reference, since)

    def _travel(self, journey: Journey) -> None:
        try:
            contact = {"email" if journey.channel == "email" else "phone": journey.address}
            client = self._refer(
                journey,
                {
                    "given_name": "Jordan",
                    "family_name": "Rivers",
                    "timezone": daytime_timezone(),
                    "consent": {journey.channel: True},
                    "preferred_channels": [journey.channel],
                    **contact,
                },
            )
            journey.client_id = client["id"]
            self._call(
                "PUT",
                "intake",
                f"/v1/clients/{client['id']}/assessment",
                {
                    "domain_ratings": {"mental_health": 4, "housing": 7},
                    "strengths": ["keen gardener"],
                    "challenges": ["low mood in the mornings"],
                    "aspirations": [
                        {"domain": "social_connection", "text": "Join a community garden group"}
                    ],
                },
                str(uuid.uuid4()),
            )
            self._call(
                "POST",
                "intake",
                f"/v1/clients/{client['id']}/onboard",
                {"coach_id": self.coach_id},
                str(uuid.uuid4()),
            )
            journey.onboarded_at = time.time()
        except Exception as exc:  # noqa: BLE001 - reported in the table, never hidden
            journey.gave_up = str(exc)[:200]
