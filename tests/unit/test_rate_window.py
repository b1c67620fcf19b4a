"""The in-process moving window behind RATE_LIMIT_DEFAULT when no Redis is configured."""

from __future__ import annotations

from dab.api.ratelimit import MovingWindow


class TestMovingWindow:
    def test_allows_the_amount_then_refuses_until_the_oldest_hit_leaves_the_window(self) -> None:
        window = MovingWindow(3, 10.0)
        assert [window.hit("k", now=t) for t in (0.0, 1.0, 2.0, 3.0, 9.9)] == [True, True, True, False, False]
        # The hit at 0.0 leaves the window at 10.0; the refused hits were not counted.
        assert window.hit("k", now=10.0) is True
        assert window.hit("k", now=10.5) is False
        assert window.hit("k", now=11.0) is True

    def test_keys_have_their_own_budget(self) -> None:
        window = MovingWindow(1, 60.0)
        assert window.hit("a", now=0.0) is True
        assert window.hit("a", now=1.0) is False
        assert window.hit("b", now=1.0) is True

    def test_idle_keys_are_swept_once_the_table_is_full(self) -> None:
        window = MovingWindow(1, 5.0, sweep_at=3)
        for i, key in enumerate(("a", "b", "c")):
            window.hit(key, now=float(i))
        # At 6.5 the hits of a (0.0) and b (1.0) are out of the window, c's (2.0) is not.
        assert window.hit("d", now=6.5) is True
        assert sorted(window.hits) == ["c", "d"]
        assert window.hit("c", now=6.5) is False
