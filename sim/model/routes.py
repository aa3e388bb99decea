"""Routes: shortest road distances over the ground a side holds, compiled.

Three questions of the war are shortest-path questions on the graph of places held by
a faction's side (roads, plus sea routes and air bridges where they carry what moves):

- supply: how far by road each place is from the side's nearest supply source
  (`supply_routes`, a multi-source Dijkstra run once per alliance when control changes);
- flight: where a routed or withdrawing force can fall back to (the nearest place its
  side holds and supplies), and how far (`search_friendly`);
- redeployment: which quiet places near a threatened one can send men, nearest first
  (`search_friendly` again).

Distances are in km; a place not reached is at infinity. The searches use a binary heap
on preallocated arrays (`Heap`), so a search allocates nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, inline="always")
def _push(keys, values, size, key, value):
    """Push (key, value) on the heap of `size` items; return the new size."""
    i = size
    keys[i], values[i] = key, value
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        values[parent], values[i] = values[i], values[parent]
        i = parent
    return size + 1


@njit(cache=True, inline="always")
def _pop(keys, values, size):
    """Pop the smallest item; return (key, value, new size)."""
    key, value = keys[0], values[0]
    size -= 1
    keys[0], values[0] = keys[size], values[size]
    i = 0
    while True:
        left, smallest = 2 * i + 1, i
        if left < size and keys[left] < keys[smallest]:
            smallest = left
        if left + 1 < size and keys[left + 1] < keys[smallest]:
            smallest = left + 1
        if smallest == i:
            break
        keys[smallest], keys[i] = keys[i], keys[smallest]
        values[smallest], values[i] = values[i], values[smallest]
        i = smallest
    return key, value, size


@njit(cache=True, inline="always")
def own_side(f, q, state, world):
    c = state.controller[q]
    return c >= 0 and world.friendly[f, c]


@njit(cache=True)
def supply_routes(f, state, world, km, via, heap_keys, heap_values):
    """Road km from faction f's side's supply sources to every place its side holds,
    through places its side holds (roads and links), into `km` (P,); `via` (P,) gets the
    link a place's supply comes through (-1: by road only). Sources count only while
    held by the side."""
    n_places = km.shape[0]
    n_factions = world.friendly.shape[0]
    km[:] = INF
    via[:] = -1
    size = 0
    for p in range(n_places):
        if not own_side(f, p, state, world):
            continue
        for g in range(n_factions):
            if world.friendly[f, g] and world.sources[g, p]:
                km[p] = 0.0
                size = _push(heap_keys, heap_values, size, 0.0, p)
                break
    while size > 0:
        d, p, size = _pop(heap_keys, heap_values, size)
        if d > km[p]:
            continue
        for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
            q = world.neighbours[k]
            if own_side(f, q, state, world) and d + world.neighbour_km[k] < km[q]:
                km[q] = d + world.neighbour_km[k]
                via[q] = via[p]
                size = _push(heap_keys, heap_values, size, km[q], q)
        for link in range(world.link_ends.shape[0]):
            a, b = world.link_ends[link, 0], world.link_ends[link, 1]
            q = b if a == p else (a if b == p else -1)
            if q >= 0 and own_side(f, q, state, world) and d + world.link_km[link] < km[q]:
                km[q] = d + world.link_km[link]
                via[q] = link
                size = _push(heap_keys, heap_values, size, km[q], q)


@njit(cache=True)
def search_friendly(f, start, max_km, state, world, km, found, heap_keys, heap_values):
    """Places held by f's side, nearest first by road from `start` (itself excluded),
    within `max_km`, through places its side holds (and links that carry movement).
    `start` may be any place (an enemy one being attacked: the search starts from its
    neighbours). Fills `found` with place numbers and `km` (P,) with distances; returns
    how many were found. `km` must be all infinite on entry; it is reset on return."""
    size = _push(heap_keys, heap_values, 0, 0.0, start)
    km[start] = 0.0
    n = 0
    while size > 0:
        d, p, size = _pop(heap_keys, heap_values, size)
        if d > km[p]:
            continue
        if p != start:
            found[n] = p
            n += 1
        for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
            q = world.neighbours[k]
            step = d + world.neighbour_km[k]
            if step <= max_km and step < km[q] and own_side(f, q, state, world):
                km[q] = step
                size = _push(heap_keys, heap_values, size, step, q)
        for link in range(world.link_ends.shape[0]):
            if not world.link_movement[link]:
                continue
            a, b = world.link_ends[link, 0], world.link_ends[link, 1]
            q = b if a == p else (a if b == p else -1)
            step = d + world.link_km[link]
            if q >= 0 and step <= max_km and step < km[q] and own_side(f, q, state, world):
                km[q] = step
                size = _push(heap_keys, heap_values, size, step, q)
    return n


@njit(cache=True)
def reset_search(km, found, n, start):
    """Set back to infinity the distances a search wrote (`found[:n]` and `start`)."""
    km[start] = INF
    for i in range(n):
        km[found[i]] = INF
