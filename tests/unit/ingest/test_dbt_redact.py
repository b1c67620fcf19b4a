from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dab.ingest.dbt import redact as redact_module
from dab.ingest.dbt import redact_secrets, redact_value
from dab.ingest.dbt.redact import REDACTED


class TestRedactSecrets:
    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            ("password=hunter2", "hunter2"),
            ("PWD = 'hunter2'", "hunter2"),
            ('{"password": "hunter2"}', "hunter2"),
            ("client_secret: s3cr3t-value", "s3cr3t-value"),
            ("access_token=abc.def.ghi&x=1", "abc.def.ghi"),
            ("api_key='k-123'", "k-123"),
            ("aws_access_key = wJalrXUtnFEMI", "wJalrXUtnFEMI"),
            ("postgresql://etl:hunter2@db.internal:5432/prod", "hunter2"),
            ("Authorization: Bearer eyJhbGciOi.J9.x-y_z", "eyJhbGciOi.J9.x-y_z"),
            ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
        ],
    )
    def test_secret_is_replaced(self, text: str, secret: str) -> None:
        out = redact_secrets(text)
        assert secret not in out
        assert REDACTED in out

    @pytest.mark.parametrize(
        "text",
        [
            "select token_count, password_hash from users",
            "select * from orders where amount > 0",
            "https://example.com/path",
            "s3://bucket/key.csv",
        ],
    )
    def test_ordinary_sql_is_unchanged(self, text: str) -> None:
        assert redact_secrets(text) == text

    def test_quotes_are_kept(self) -> None:
        assert redact_secrets("password = 'x'") == f"password = '{REDACTED}'"

    def test_connection_string_keeps_user_and_host(self) -> None:
        out = redact_secrets("mysql://app:pw@host/db")
        assert out == f"mysql://app:{REDACTED}@host/db"


class TestRedactValue:
    def test_recurses_and_hides_secret_keys(self) -> None:
        value = {
            "owner": "a@b.c",
            "db_password": "pw",
            "links": ["postgres://u:pw2@h/x", {"token": "tok"}],
            "retries": 3,
            "has_token": True,
        }
        out = redact_value(value)
        assert out["owner"] == "a@b.c"
        assert out["db_password"] == REDACTED
        assert out["links"][0] == f"postgres://u:{REDACTED}@h/x"
        assert out["links"][1] == {"token": REDACTED}
        assert out["retries"] == 3
        assert out["has_token"] is True


def _redact_without_prefilter(text: str) -> str:
    text = redact_module._URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<3>", text)
    text = redact_module._ASSIGNMENT.sub(redact_module._assignment, text)
    text = redact_module._BEARER.sub(rf"\g<1>{REDACTED}", text)
    return redact_module._AWS_KEY_ID.sub(REDACTED, text)


_SECRETISH = st.sampled_from(
    ["password", "PaSsWd", "pwd", "secret", "token", "api-key", "ACCESS_KEY", "credent\u0131al", "pa\u017fsword",
     "\u212aey", "://u:p@h", "bearer abc", "AKIAABCDEFGHIJKLMNOP", "ASIA0123456789ABCDEF", "=", ":", "'x'", " "]
)  # fmt: skip


@given(st.lists(st.one_of(_SECRETISH, st.text(max_size=6)), max_size=8).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_cheap_prefilter_never_changes_what_is_redacted(text: str) -> None:
    assert redact_secrets(text) == _redact_without_prefilter(text)
