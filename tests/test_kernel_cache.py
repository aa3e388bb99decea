"""The compiled kernels' cache follows the package's source, not just the kernel's file."""

from __future__ import annotations

import numba

from sim.model import kernel_cache


def package(tmp_path, factions_source: str):
    (tmp_path / "day.py").write_text("def advance_day(): return plan_orders()\n")
    (tmp_path / "factions.py").write_text(factions_source)
    return tmp_path


def test_a_change_to_any_module_moves_the_cache(tmp_path):
    before = kernel_cache.cache_directory(package(tmp_path, "def plan_orders(): return 1\n"))
    after = kernel_cache.cache_directory(package(tmp_path, "def plan_orders(): return 2\n"))
    assert before != after
    unchanged = kernel_cache.cache_directory(package(tmp_path, "def plan_orders(): return 2\n"))
    assert unchanged == after


def test_the_cache_lives_under_numba_cache_dir_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert kernel_cache.cache_directory().parent == tmp_path / "numba"


def test_the_kernels_are_cached_by_source_and_numba_settings_are_left_alone():
    import sim.model
    from sim.model.day import advance_day

    assert kernel_cache.cache_directory() == sim.model.KERNEL_CACHE
    assert str(advance_day._cache._cache_path).startswith(str(sim.model.KERNEL_CACHE))
    assert str(sim.model.KERNEL_CACHE) != numba.config.CACHE_DIR
