"""Every error shape TEI and OCI answer with maps to one typed error."""

import pickle

import pytest

from oci_tei import _errors as errors
from oci_tei._errors import batch_limit_from_message, error_from_response, parse_retry_after


@pytest.mark.parametrize(
    ("status", "body", "cls", "message", "kind"),
    [
        (
            401,
            b'{"code":"NotAuthenticated","message":"bad sig"}',
            errors.AuthenticationError,
            "bad sig",
            "NotAuthenticated",
        ),
        (
            404,
            b'{"code":"NotAuthorizedOrNotFound","message":"nope"}',
            errors.NotFoundError,
            "nope",
            "NotAuthorizedOrNotFound",
        ),
        (
            429,
            b'{"error":"Model is overloaded","error_type":"overloaded"}',
            errors.RateLimitError,
            "Model is overloaded",
            "overloaded",
        ),
        (
            413,
            b'{"error":"Payload too large"}',
            errors.PayloadTooLargeError,
            "Payload too large",
            None,
        ),
        (
            413,
            b'{"error":"batch size 64 > maximum allowed batch size 32","error_type":"Validation"}',
            errors.InvalidInputError,
            "batch size 64",
            "Validation",
        ),
        (
            422,
            b'{"message":"Input validation error: `inputs` must have less than 512 tokens. Given: 600","code":422,"type":"Validation"}',
            errors.InvalidInputError,
            "less than 512",
            "Validation",
        ),
        (
            400,
            b'{"error":"`inputs` cannot be empty","error_type":"empty"}',
            errors.InvalidInputError,
            "cannot be empty",
            "empty",
        ),
        (
            424,
            b'{"error":"backend","error_type":"backend"}',
            errors.ServerError,
            "backend",
            "backend",
        ),
        (
            403,
            b'{"code":"NotAuthorized","message":"not allowed"}',
            errors.PermissionDeniedError,
            "not allowed",
            "NotAuthorized",
        ),
        (
            405,
            b'{"code":"MethodNotAllowed","message":"only POST"}',
            errors.MethodNotAllowedError,
            "only POST",
            "MethodNotAllowed",
        ),
        (
            409,
            b'{"code":"IncorrectState","message":"deployment is updating"}',
            errors.ConflictError,
            "updating",
            "IncorrectState",
        ),
        (
            411,
            b'{"code":"LengthRequired","message":"no length"}',
            errors.ClientRequestError,
            "no length",
            "LengthRequired",
        ),
        (502, b"Bad Gateway", errors.ServerError, "Bad Gateway", None),
        (503, b"", errors.ServerError, "HTTP 503 with an empty body", None),
    ],
)
def test_mapping(status, body, cls, message, kind):
    error = error_from_response(status, body, {"opc-request-id": "req-1"})
    assert type(error) is cls
    assert message in error.message
    assert error.error_type == kind
    assert error.status == status
    assert error.opc_request_id == "req-1"
    assert "req-1" in str(error)
    assert str(status) in str(error)


def test_retry_after_is_parsed():
    error = error_from_response(429, b"{}", {"retry-after": "3"})
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 3.0


def test_retry_after_http_date_in_the_past_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_batch_limit_message():
    assert batch_limit_from_message("batch size 64 > maximum allowed batch size 32") == 32
    assert batch_limit_from_message("something else") is None


def test_errors_pickle_with_their_fields():
    error = errors.InvalidInputError("bad", status=422, input_index=4, opc_request_id="r")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.InvalidInputError
    assert (clone.status, clone.input_index, clone.opc_request_id) == (422, 4, "r")
    assert str(clone) == str(error)


def test_input_errors_are_value_and_type_errors():
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.InputTypeError, TypeError)
    assert issubclass(errors.EmbeddingTimeoutError, TimeoutError)
    assert issubclass(errors.EmbeddingConnectionError, ConnectionError)


@pytest.mark.parametrize("status", [403, 405, 409, 411, 415])
def test_client_side_statuses_are_never_server_errors(status):
    error = error_from_response(status, b'{"code":"X","message":"m"}', {})
    assert isinstance(error, errors.ClientRequestError)
    assert not isinstance(error, errors.ServerError)
    assert error.status == status
    assert error.error_type == "X"
