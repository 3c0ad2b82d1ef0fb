"""Extra usage for a LiteLLM proxy: ask before each model request, record after it.

Register in the proxy's config.yaml (the module must be importable: on PYTHONPATH or
next to the config file):

    litellm_settings:
      callbacks: extra_usage_hook.proxy_handler_instance

Before a request, POST /v1/usage/authorize; a refusal is answered to the caller as an
Anthropic-style error (429 rate_limit_error, or 403 permission_error) whose message is
the control plane's `message` (the refusal in words, with its link), carrying our
`reason` and `resetsAt`, and the model is never called. After a successful request,
POST /v1/usage/record with the Messages API's message id as `requestId` and its
`usage` object as the model returned it. See docs/integrations.md ("LiteLLM proxy").

Environment:
  EXTRA_USAGE_URL              the control plane's base URL (required)
  EXTRA_USAGE_API_KEY          an API key of the org with the `usage` scope (required)
  EXTRA_USAGE_TIMEOUT_SECONDS  per call to the control plane (default 5)
  EXTRA_USAGE_FAIL_OPEN        "true": let requests through when the control plane
                               cannot answer (default false: refuse them with a 503)
  EXTRA_USAGE_RECORD_ATTEMPTS  tries of a record that failed in transit (default 3)
  EXTRA_USAGE_MEMBER_HEADER    a request header naming the member, read only for keys
                               that carry no member themselves (default: unset, unused)
  EXTRA_USAGE_MODEL_MAP        JSON {"proxy model name": "price book model"} (optional)
  EXTRA_USAGE_PRODUCT          the product these requests come from (claude_code, claude,
                               api, or a name the org declared), sent with authorize and
                               record; a key's metadata extra_usage_product wins (optional)
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import os
import re
import weakref
from collections import OrderedDict
from typing import Any, AsyncGenerator, Mapping

import httpx
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import ProxyException, UserAPIKeyAuth

log = logging.getLogger("extra_usage")

# Calls that make a model generate (and so spend); embeddings, token counting, files
# and the like pass untouched.
METERED_CALL_TYPES = frozenset({
    "anthropic_messages", "aanthropic_messages",
    "completion", "acompletion", "text_completion", "atext_completion",
    "responses", "aresponses",
})
# Where the proxy keeps request metadata: Anthropic's own `metadata` is the model's.
METADATA_FIELDS = ("litellm_metadata", "metadata")
MEMBER_FIELD = "extra_usage_member"
PRODUCT_FIELD = "extra_usage_product"
CALL_TYPE_FIELD = "extra_usage_call_type"
ANTHROPIC_MESSAGES = frozenset({"anthropic_messages", "aanthropic_messages"})
# LiteLLM's name for the master key's caller: not a member.
NOT_A_MEMBER = frozenset({"default_user_id", "litellm_proxy_admin_name"})
DATED_SNAPSHOT = re.compile(r"-\d{8}$")
RECORDED_IDS_KEPT = 10_000


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def canonical_model(name: str, model_map: Mapping[str, str]) -> str:
    """The price book's name for a model: an explicit mapping wins; otherwise drop the
    provider prefix (`anthropic/`) and the snapshot date the API answers with
    (claude-haiku-4-5-20251001 is priced as claude-haiku-4-5)."""
    if name in model_map:
        return model_map[name]
    bare = name.split("/", 1)[1] if "/" in name else name
    return model_map.get(bare, DATED_SNAPSHOT.sub("", bare))


def _refusal(status: int, kind: str, message: str, fields: dict[str, Any] | None = None, retry: bool = False) -> ProxyException:
    # ProxyException keeps its headers on the proxy's /v1/messages error path;
    # x-should-retry tells the Anthropic SDKs (and so Claude Code) not to retry a
    # refusal that only time or an owner can lift.
    return ProxyException(
        message=message, type=kind, param=None, code=status,
        headers={"x-should-retry": "true" if retry else "false"},
        provider_specific_fields={"extra_usage": fields} if fields else None,
    )


def _refusal_message(member: str, decision: Mapping[str, Any]) -> str:
    # The control plane's own words (what stopped them, when it lifts in the org's time,
    # the next step and its link), as every other channel shows them.
    message = decision.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    # A control plane too old to send them: the code and the instant.
    reason = decision.get("reason")
    resets = decision.get("resetsAt")
    text = f"Extra usage refused for member '{member}': {reason}"
    text += f" (resets at {resets})." if resets else " (until the balance is topped up)." if reason == "balance_exhausted" else "."
    if decision.get("canRequestExtraUsage"):
        text += " An admin can raise the limit: request extra usage."
    return text


class SseUsage:
    """Follows an Anthropic Messages SSE stream and keeps what the record needs: the
    message id and model from message_start, its usage updated by message_delta (the
    final counts), exactly as the stream carried them."""

    def __init__(self) -> None:
        self.buffer = ""
        # A multi-byte character may be split between two chunks.
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.message_id: str | None = None
        self.model: str | None = None
        self.usage: dict[str, Any] | None = None
        self.complete = False

    def feed(self, chunk: Any) -> None:
        # The provider's SSE bytes as they arrive (split anywhere), or already-parsed
        # event dicts on LiteLLM's own streaming paths.
        if isinstance(chunk, Mapping):
            self._event(chunk)
            return
        if not isinstance(chunk, (bytes, bytearray, str)):
            return
        self.buffer += self.decoder.decode(bytes(chunk)) if isinstance(chunk, (bytes, bytearray)) else chunk
        self.buffer = self.buffer.replace("\r\n", "\n")
        while "\n\n" in self.buffer:
            frame, self.buffer = self.buffer.split("\n\n", 1)
            data = "\n".join(line[5:].lstrip() for line in frame.split("\n") if line.startswith("data:"))
            if data:
                try:
                    self._event(json.loads(data))
                except ValueError:
                    pass

    def _event(self, event: Any) -> None:
        if not isinstance(event, Mapping):
            return
        kind = event.get("type")
        if kind == "message_start" and isinstance(event.get("message"), dict):
            message = event["message"]
            self.message_id = message.get("id")
            self.model = message.get("model")
            self.usage = dict(message.get("usage") or {})
        elif kind == "message_delta" and self.usage is not None and isinstance(event.get("usage"), dict):
            # message_delta's counts are cumulative: they replace message_start's.
            self.usage.update({k: v for k, v in event["usage"].items() if v is not None})
        elif kind == "message_stop":
            self.complete = True


class ExtraUsageHook(CustomLogger):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = os.environ.get("EXTRA_USAGE_URL", "").rstrip("/")
        self.api_key = os.environ.get("EXTRA_USAGE_API_KEY", "")
        if not self.base_url or not self.api_key:
            # Stops the proxy at start: a gateway that meters nothing must not run by accident.
            raise RuntimeError("extra_usage_hook: set EXTRA_USAGE_URL and EXTRA_USAGE_API_KEY (an org API key with the 'usage' scope)")
        self.timeout = float(os.environ.get("EXTRA_USAGE_TIMEOUT_SECONDS", "5"))
        self.fail_open = _env_flag("EXTRA_USAGE_FAIL_OPEN")
        self.record_attempts = max(1, int(os.environ.get("EXTRA_USAGE_RECORD_ATTEMPTS", "3")))
        self.member_header = os.environ.get("EXTRA_USAGE_MEMBER_HEADER", "").strip().lower() or None
        self.model_map: dict[str, str] = json.loads(os.environ.get("EXTRA_USAGE_MODEL_MAP", "") or "{}")
        self.product = os.environ.get("EXTRA_USAGE_PRODUCT", "").strip() or None
        # One client per event loop: LiteLLM may run callbacks on a loop of their own.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()
        # Message ids recorded (or being recorded) by this process: a second success
        # event for the same message sends nothing. The control plane's requestId
        # idempotency covers other processes and restarts.
        self._recorded: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the control plane ---------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        # Made on first use: the proxy's event loop does not exist yet at import.
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout,
                headers={"authorization": f"Bearer {self.api_key}", "content-type": "application/json"},
            )
        return client

    # -- who is asking -------------------------------------------------------------

    def member_of(self, key: UserAPIKeyAuth, data: Mapping[str, Any]) -> str | None:
        """The member a request is for: the key's own (its metadata's extra_usage_member,
        else the key's user_id), else, when configured, the member header. A key that
        names a member always wins over a header its holder could set."""
        key_metadata = key.metadata or {}
        if isinstance(key_metadata.get(MEMBER_FIELD), str) and key_metadata[MEMBER_FIELD].strip():
            return key_metadata[MEMBER_FIELD].strip()
        if key.user_id and key.user_id not in NOT_A_MEMBER:
            return key.user_id
        if self.member_header:
            headers = (data.get("proxy_server_request") or {}).get("headers") or {}
            for name, value in headers.items():
                if name.lower() == self.member_header and isinstance(value, str) and value.strip():
                    return value.strip()
        return None

    def product_of(self, key: UserAPIKeyAuth) -> str | None:
        """The product a request comes from: the key's metadata extra_usage_product, else
        EXTRA_USAGE_PRODUCT, else none (unspecified)."""
        value = (key.metadata or {}).get(PRODUCT_FIELD)
        return value.strip() if isinstance(value, str) and value.strip() else self.product

    # -- before: authorize -----------------------------------------------------------

    async def async_pre_call_hook(self, user_api_key_dict: UserAPIKeyAuth, cache: Any, data: dict, call_type: str) -> dict:
        if call_type not in METERED_CALL_TYPES:
            return data
        member = self.member_of(user_api_key_dict, data)
        if member is None:
            raise _refusal(403, "permission_error", "Extra usage: this key names no member. Use a key issued to a member (its user_id), or configure EXTRA_USAGE_MEMBER_HEADER.")
        model = canonical_model(str(data.get("model") or ""), self.model_map)
        product = self.product_of(user_api_key_dict)
        try:
            res = await self._http().post("/v1/usage/authorize", json={"member": member, "model": model, **({"product": product} if product else {})})
        except httpx.HTTPError as err:
            return self._unavailable(data, member, call_type, f"{type(err).__name__}: {err}", product)
        if res.status_code >= 500 or res.status_code in (401, 403, 429):
            # Not an answer about this member: the control plane is down or our key is wrong.
            return self._unavailable(data, member, call_type, f"HTTP {res.status_code}: {res.text[:300]}", product)
        try:
            body = res.json()
        except ValueError:
            return self._unavailable(data, member, call_type, f"HTTP {res.status_code}, not JSON: {res.text[:300]}", product)
        if res.status_code != 200:
            # 404 (no such member) and 422 (a model without a price) are answers: refuse.
            error = (body or {}).get("error") or {}
            raise _refusal(403, "permission_error", f"Extra usage refused for member '{member}': {error.get('message', res.text[:300])}",
                           {"status": res.status_code, "code": error.get("code"), "field": error.get("field")})
        if not body.get("allowed"):
            fields = {k: body.get(k) for k in ("reason", "resetsAt", "canRequestExtraUsage", "message")}
            raise _refusal(429, "rate_limit_error", _refusal_message(member, body), fields)
        self._remember_member(data, member, call_type, product)
        return data

    def _unavailable(self, data: dict, member: str, call_type: str, why: str, product: str | None = None) -> dict:
        if self.fail_open:
            log.warning("extra usage: control plane unavailable (%s); letting the request for '%s' through (EXTRA_USAGE_FAIL_OPEN)", why, member)
            self._remember_member(data, member, call_type, product)
            return data
        log.error("extra usage: control plane unavailable (%s); refusing the request for '%s'", why, member)
        raise _refusal(503, "api_error", "Extra usage: the usage control plane is unavailable; try again shortly.", retry=True)

    @staticmethod
    def _remember_member(data: dict, member: str, call_type: str, product: str | None = None) -> None:
        # The proxy carries its request metadata to the success event and the stream
        # hook; on /v1/messages it is litellm_metadata (`metadata` is the model's).
        field = "litellm_metadata" if "anthropic_messages" in call_type else "metadata"
        if not isinstance(data.get(field), dict):
            data[field] = {}
        data[field][MEMBER_FIELD] = member
        data[field][CALL_TYPE_FIELD] = call_type
        if product:
            data[field][PRODUCT_FIELD] = product

    @staticmethod
    def _authorized(holder: Any) -> Mapping[str, Any]:
        """What the pre-call hook left in the request's metadata (empty: not authorized here)."""
        if isinstance(holder, Mapping):
            for field in METADATA_FIELDS:
                meta = holder.get(field)
                if isinstance(meta, Mapping) and isinstance(meta.get(MEMBER_FIELD), str):
                    return meta
        return {}

    # -- after: record -----------------------------------------------------------------

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        if kwargs.get("call_type") not in METERED_CALL_TYPES:
            return
        if kwargs.get("stream") and kwargs.get("call_type") in ANTHROPIC_MESSAGES:
            return  # recorded from the stream itself (async_post_call_streaming_iterator_hook)
        authorized = self._authorized(kwargs.get("litellm_params"))
        member, product = authorized.get(MEMBER_FIELD), authorized.get(PRODUCT_FIELD)
        if member is None:
            return  # the pre-call hook did not authorize it (not metered, or not through the proxy)
        message = self._messages_body(kwargs.get("original_response"))
        if message is not None:
            await self._record(member, message["id"], message["model"], message["usage"], product)
            return
        # Not a Messages API body (an OpenAI-format stream, a redacted log): LiteLLM's
        # usage, mapped back to the Messages API's fields.
        request_id = getattr(response_obj, "id", None) or kwargs.get("litellm_call_id")
        usage = self._usage_from_litellm(getattr(response_obj, "usage", None))
        model = getattr(response_obj, "model", None) or kwargs.get("model")
        if request_id and usage and model:
            await self._record(member, str(request_id), str(model), usage, product)
        else:
            log.error("extra usage: no usage to record for '%s' (call %s)", member, kwargs.get("litellm_call_id"))

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: UserAPIKeyAuth, response: Any, request_data: dict) -> AsyncGenerator[Any, None]:
        authorized = self._authorized(request_data)
        member = authorized.get(MEMBER_FIELD)
        # Other streams (OpenAI format) are recorded by async_log_success_event.
        sse = SseUsage() if member and authorized.get(CALL_TYPE_FIELD) in ANTHROPIC_MESSAGES else None
        try:
            async for item in response:
                if sse is not None:
                    sse.feed(item)
                yield item
        finally:
            # Also when the caller went away mid-stream: the prompt was processed and
            # what was generated so far is billed, so record what the stream told.
            if sse is not None:
                if sse.message_id and sse.usage and sse.model:
                    self._spawn(self._record(member, sse.message_id, sse.model, sse.usage, authorized.get(PRODUCT_FIELD)))
                else:
                    log.error("extra usage: a stream for '%s' ended without a message_start; nothing to record", member)

    def _spawn(self, coro: Any) -> None:
        # In the background: the stream's last bytes are the caller's already.
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # the stream was closed outside the loop (at exit)
            coro.close()
            log.error("extra usage: a stream ended outside the event loop; its usage was not recorded")
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _messages_body(raw: Any) -> dict[str, Any] | None:
        """The Messages API's response as the model sent it, when LiteLLM kept it."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                return None
        if (isinstance(raw, dict) and raw.get("type") == "message" and isinstance(raw.get("id"), str)
                and isinstance(raw.get("model"), str) and isinstance(raw.get("usage"), dict)):
            return raw
        return None

    @staticmethod
    def _usage_from_litellm(usage: Any) -> dict[str, Any] | None:
        if usage is None:
            return None
        u = usage if isinstance(usage, dict) else usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
        cache_read = int(u.get("cache_read_input_tokens") or 0)
        cache_write = int(u.get("cache_creation_input_tokens") or 0)
        details = (u.get("prompt_tokens_details") or {}).get("cache_creation_token_details") or None
        out: dict[str, Any] = {
            "input_tokens": max(0, int(u.get("prompt_tokens") or 0) - cache_read - cache_write),
            "output_tokens": int(u.get("completion_tokens") or 0),
            "cache_read_input_tokens": cache_read,
            "cache_creation_input_tokens": cache_write,
        }
        if isinstance(details, dict):
            out["cache_creation"] = {k: details.get(k) for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")}
        return out

    async def _record(self, member: str, request_id: str, model: str, usage: dict[str, Any], product: str | None = None) -> None:
        if request_id in self._recorded:
            return
        self._recorded[request_id] = None
        while len(self._recorded) > RECORDED_IDS_KEPT:
            self._recorded.popitem(last=False)
        body = {"requestId": request_id, "member": member, "model": canonical_model(model, self.model_map), "usage": usage}
        if product:
            body["product"] = product
        problem = ""
        for attempt in range(self.record_attempts):
            try:
                res = await self._http().post("/v1/usage/record", json=body)
            except httpx.HTTPError as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                if res.status_code == 200:
                    return
                problem = f"HTTP {res.status_code}: {res.text[:500]}"
                if res.status_code < 500 and res.status_code != 429:
                    break  # an answer (409, 422): the same body again would get the same one
            if attempt + 1 < self.record_attempts:
                await asyncio.sleep(0.5 * 2 ** attempt)
        # The same requestId may be sent again (idempotent), so forget it here.
        self._recorded.pop(request_id, None)
        # Usage that happened but is not in the ledger: say everything needed to replay it.
        log.error("extra usage: record failed (%s); replay POST /v1/usage/record %s", problem, json.dumps(body))


proxy_handler_instance = ExtraUsageHook()
