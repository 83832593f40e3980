"""Every numeric setting has bounds (`settings.Bounds`), and a value outside them is refused
with a message naming the setting, its value and the values it takes, never taken as another
(99 upload workers as 4) nor acted on (an inbox period of 1e300 seconds, an upload limit of
1e300 MB, which is no limit)."""

from __future__ import annotations

import pytest

from citydata.core import settings

BOUNDED = [s for s in settings.SETTINGS if s.bounds is not None]


@pytest.mark.parametrize("setting", BOUNDED, ids=[s.name for s in BOUNDED])
def test_a_numeric_setting_takes_its_bounds_and_refuses_what_is_outside(setting, monkeypatch):
    bounds = setting.bounds
    monkeypatch.delenv(setting.name, raising=False)  # (the tests set some)
    assert settings.number(setting.name) == float(setting.default)
    monkeypatch.setenv(setting.name, f"{bounds.most:g}")
    assert settings.number(setting.name) == bounds.most
    below = "0" if bounds.least is None else f"{bounds.least - 1:g}"
    for outside in ("1e300", f"{bounds.most + 1:g}", below, "nan", "many"):
        monkeypatch.setenv(setting.name, outside)
        with pytest.raises(settings.SettingError) as refused:
            settings.number(setting.name)
        assert str(refused.value) == (
            f"{setting.name} is “{outside}”, but it must be {bounds.said()} (for example "
            f"{setting.default})."
        )
