#!/usr/bin/env python3
"""Writes assets/colormaps/{magma,cividis}.txt from matplotlib's listed colour maps.

Both tables are 256 entries in matplotlib (magma: CC0, by Smith and van der Walt; cividis: Nuñez,
Anderton and Renslow 2018), so the bytes here are the reference colours rounded to sRGB bytes, not
a fit. Run with any Python that has matplotlib: python3 tools/gen_colormaps.py
"""
import pathlib

from matplotlib import colormaps

OUT = pathlib.Path(__file__).resolve().parent.parent / "assets" / "colormaps"
NOTES = {
    "magma": "matplotlib's CC0 magma table (Smith and van der Walt), rounded to sRGB bytes",
    "cividis": "matplotlib's cividis table (Nunez, Anderton and Renslow 2018, colour-vision-deficiency friendly), rounded to sRGB bytes",
}

for name, note in NOTES.items():
    cmap = colormaps[name].resampled(256)
    lines = [f"# {name} (256 entries, sRGB bytes r g b): {note}; written by tools/gen_colormaps.py"]
    for i in range(256):
        r, g, b, _ = cmap(i)
        lines.append(f"{round(r * 255)} {round(g * 255)} {round(b * 255)}")
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n")
    print(OUT / f"{name}.txt")
