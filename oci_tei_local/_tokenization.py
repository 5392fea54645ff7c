"""Tokenization as TEI's tokenization workers do it: prompts, limits, truncation, errors.

Each worker thread owns its tokenizer (a ``tokenizers.Tokenizer`` is stateful: truncation
is set per call), so requests tokenize in parallel off the event loop.
"""

from __future__ import annotations

__all__ = [
    "EncodeResult",
    "Encoded",
    "EncodingInput",
    "SimpleToken",
    "Tokenization",
    "TruncationDirection",
]

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from oci_tei_local._errors import ErrorKind, TEIError

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

#: TEI refuses (or, truncating, cuts) inputs longer than this many characters per token.
MAX_CHAR_MULTIPLIER: Final = 250

TruncationDirection = Literal["left", "right"]
EncodingInput = str | list[int] | tuple[str, str]
"""One input: text, token ids (TEI decodes ids and re-encodes them), or a pair of texts
(a cross-encoder's query and text, encoded as one sequence with segment ids)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Encoded:
    """A validated input, ready for the model.

    Attributes:
        ids: Token ids, special tokens included.
        type_ids: Token type ids.
    """

    ids: list[int]
    type_ids: list[int]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class EncodeResult:
    """The outcome of encoding one request's inputs.

    Attributes:
        items: Per input, its encoding or the error TEI would report for it.
        seconds: Time spent tokenizing.
    """

    items: list[Encoded | TEIError]
    seconds: float


@dataclass(frozen=True)
class SimpleToken:
    """One token of ``/tokenize``: byte offsets into the (prompted) input.

    Attributes:
        id: Token id.
        text: The token's source text, or the token itself when special.
        special: Whether it is a special token.
        start: Byte offset where it starts (``None`` when special).
        stop: Byte offset where it stops (``None`` when special).
    """

    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None

    def to_json(self) -> dict[str, object]:
        """TEI's ``SimpleToken`` object."""
        return {
            "id": self.id,
            "text": self.text,
            "special": self.special,
            "start": self.start,
            "stop": self.stop,
        }


class Tokenization:
    """Tokenizer workers bound to one server's limits and prompts.

    Args:
        tokenizer_path: The model's ``tokenizer.json``.
        max_input_length: Longest input in tokens (``/info``'s ``max_input_length``).
        workers: Worker threads.
        prompts: Named prompts from ``config_sentence_transformers.json``.
        default_prompt: Prompt text prepended when a request names none.
    """

    def __init__(
        self,
        tokenizer_path: Path,
        *,
        max_input_length: int,
        workers: int,
        prompts: Mapping[str, str] | None,
        default_prompt: str | None,
    ) -> None:
        self._spec = tokenizer_path.read_text(encoding="utf-8")
        self.max_input_length = max_input_length
        self.prompts = dict(prompts) if prompts is not None else None
        self.default_prompt = default_prompt
        self._local = threading.local()
        self._tokenizer()  # fail now, not on the first request, if the file is unusable
        self._executor = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix="tei-tokenizer",
            initializer=self._tokenizer,
        )
        # Start every worker now (each builds its tokenizer, ~0.1 s) rather than on the
        # first requests; the barrier makes each job land on a thread of its own.
        barrier = threading.Barrier(workers)
        for future in [self._executor.submit(barrier.wait) for _ in range(workers)]:
            future.result()

    def close(self) -> None:
        """Stop the worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def encode(
        self,
        inputs: Sequence[EncodingInput],
        *,
        truncate: bool,
        direction: TruncationDirection,
        prompt_name: str | None,
    ) -> EncodeResult:
        """Validate and encode inputs for the model, each independently.

        Args:
            inputs: Texts or token-id lists.
            truncate: Cut inputs to ``max_input_length`` instead of refusing them.
            direction: Which end truncation removes.
            prompt_name: A key of the model's prompts; ``None`` applies the default prompt.

        Returns:
            Per input its encoding or its error, and the time taken.
        """
        items, seconds = await self._run(
            lambda: [
                self._encode_one(item, truncate, direction, prompt_name)
                if item
                else TEIError.empty("`inputs` cannot be empty")
                for item in inputs
            ]
        )
        return EncodeResult(items, seconds)

    async def tokenize(
        self, inputs: Sequence[str], *, add_special_tokens: bool, prompt_name: str | None
    ) -> list[list[SimpleToken] | TEIError]:
        """Split texts into tokens for ``/tokenize`` (no token limit applies).

        Args:
            inputs: Texts.
            add_special_tokens: Add the model's special tokens.
            prompt_name: A key of the model's prompts; ``None`` applies the default prompt.

        Returns:
            Per input its tokens or its error.
        """
        items, _ = await self._run(
            lambda: [
                self._tokenize_one(text, add_special_tokens, prompt_name)
                if text
                else TEIError.empty("`inputs` cannot be empty")
                for text in inputs
            ]
        )
        return items

    async def decode(
        self, ids: Sequence[list[int]], *, skip_special_tokens: bool
    ) -> list[str | TEIError]:
        """Turn token ids back into text for ``/decode``.

        Args:
            ids: Token-id lists.
            skip_special_tokens: Leave special tokens out.

        Returns:
            Per list its text or its error.
        """
        items, _ = await self._run(
            lambda: [self._decode_one(item, skip_special_tokens) for item in ids]
        )
        return items

    async def _run(self, job: Callable[[], list[_T]]) -> tuple[list[_T], float]:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        items = await loop.run_in_executor(self._executor, job)
        return items, time.perf_counter() - started

    def _tokenizer(self) -> Tokenizer:
        tokenizer: Tokenizer | None = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_str(self._spec)
            # TEI tokenizes one input at a time: no padding, truncation chosen per request.
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self._local.tokenizer = tokenizer
        return tokenizer

    def _prompt(self, prompt_name: str | None) -> str | None:
        if prompt_name is None:
            return self.default_prompt
        if self.prompts is None:
            raise TEIError.validation(
                f"`default-prompt-name` is set to `{prompt_name}` but no prompts were found "
                "in the Sentence Transformers configuration"
            )
        if prompt_name not in self.prompts:
            raise TEIError.validation(
                f"`default-prompt-name` is set to `{prompt_name}` but it was not found in the "
                f"Sentence Transformers prompts. Available prompts: {_rust_keys(self.prompts)}"
            )
        return self.prompts[prompt_name]

    def _limit_chars(self, item: EncodingInput, truncate: bool) -> EncodingInput:
        limit = self.max_input_length * MAX_CHAR_MULTIPLIER
        chars = len(item[0]) + len(item[1]) if isinstance(item, tuple) else len(item)
        if chars <= limit:
            return item
        if not truncate:
            raise TEIError.validation(
                f"`inputs` must have less than {limit} characters. Given: {chars}"
            )
        if not isinstance(item, str):
            return item  # token ids and pairs: the tokenizer's truncation cuts them
        # Like TEI: cut at byte `limit`, keeping the start whatever the direction, and only
        # when that byte starts a character.
        raw = item.encode("utf-8")
        if (raw[limit] & 0xC0) != 0x80:
            return raw[:limit].decode("utf-8")
        return item

    def _encode_one(
        self,
        item: EncodingInput,
        truncate: bool,
        direction: TruncationDirection,
        prompt_name: str | None,
    ) -> Encoded | TEIError:
        try:
            prompt = self._prompt(prompt_name)
            item = self._limit_chars(item, truncate)
            tokenizer = self._tokenizer()
            if truncate:
                tokenizer.enable_truncation(
                    self.max_input_length, strategy="longest_first", direction=direction
                )
            else:
                tokenizer.no_truncation()
            encoding = self._guard(lambda: _encode(tokenizer, item, prompt))
            if isinstance(encoding, TEIError):
                return encoding
        except TEIError as error:
            return error
        if len(encoding.ids) > self.max_input_length:
            return TEIError.validation(
                f"`inputs` must have less than {self.max_input_length} tokens. "
                f"Given: {len(encoding.ids)}"
            )
        return Encoded(ids=list(encoding.ids), type_ids=list(encoding.type_ids))

    def _tokenize_one(
        self, text: str, add_special_tokens: bool, prompt_name: str | None
    ) -> list[SimpleToken] | TEIError:
        try:
            prompt = self._prompt(prompt_name)
            self._limit_chars(text, truncate=False)
        except TEIError as error:
            return error
        text = text if prompt is None else prompt + text
        tokenizer = self._tokenizer()
        tokenizer.no_truncation()
        encoding = self._guard(
            lambda: tokenizer.encode(text, add_special_tokens=add_special_tokens)
        )
        if isinstance(encoding, TEIError):
            return encoding
        return _simple_tokens(encoding, text)

    def _decode_one(self, ids: list[int], skip_special_tokens: bool) -> str | TEIError:
        if not ids:
            return TEIError.empty("`input_ids` cannot be empty")
        tokenizer = self._tokenizer()
        return self._guard(lambda: tokenizer.decode(ids, skip_special_tokens))

    @staticmethod
    def _guard(call: Callable[[], _T]) -> _T | TEIError:
        try:
            return call()
        except Exception as exc:  # the Rust tokenizer reports any failure as Exception
            return TEIError(ErrorKind.TOKENIZER, f"tokenizer error {exc}")


def _encode(tokenizer: Tokenizer, item: EncodingInput, prompt: str | None) -> Encoding:
    if isinstance(item, tuple):
        # A pair, as TEI's `EncodingInput::Dual`: [CLS] query [SEP] text [SEP] for BERT.
        return tokenizer.encode(item[0], item[1], add_special_tokens=True)
    if isinstance(item, str):
        return tokenizer.encode(item if prompt is None else prompt + item, add_special_tokens=True)
    # Token ids: TEI decodes them and re-encodes the text; without a prompt it keeps the
    # ids' own special tokens and adds none.
    if prompt is not None:
        text = prompt + tokenizer.decode(item, skip_special_tokens=True)
        return tokenizer.encode(text, add_special_tokens=True)
    return tokenizer.encode(
        tokenizer.decode(item, skip_special_tokens=False), add_special_tokens=False
    )


def _simple_tokens(encoding: Encoding, text: str) -> list[SimpleToken]:
    # Python's tokenizers reports character offsets; TEI reports byte offsets.
    byte_at = [0]
    for char in text:
        byte_at.append(byte_at[-1] + len(char.encode("utf-8")))
    raw = text.encode("utf-8")
    tokens = []
    for token_id, (start, stop), special, token in zip(
        encoding.ids,
        encoding.offsets,
        encoding.special_tokens_mask,
        encoding.tokens,
        strict=True,
    ):
        if special:
            tokens.append(SimpleToken(token_id, token, True, None, None))
        else:
            begin, end = byte_at[start], byte_at[stop]
            tokens.append(
                SimpleToken(token_id, raw[begin:end].decode("utf-8", "replace"), False, begin, end)
            )
    return tokens


def _rust_keys(mapping: Mapping[str, str]) -> str:
    # TEI formats the available prompt names with Rust's Debug: ["a", "b"].
    return "[" + ", ".join(f'"{key}"' for key in mapping) + "]"
