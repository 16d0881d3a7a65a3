"""The packed image of a Bayer frame, written plainly in numpy and float64,
independently of genisp_mmdet.raw.packing: the definition that the loader's
float32 path is tested against."""
import numpy as np

# LibRaw's flip code -> counter-clockwise quarter turns for display:
# 3 is 180 degrees, 5 is 90 degrees counter-clockwise, 6 clockwise.
QUARTER_TURNS = {0: 0, 3: 2, 5: 1, 6: -1}


def positions(pattern):
    """Tile positions ``(row, col)`` of R, G1, G2, B in a 2x2 pattern (G1:
    the green on the red row)."""
    at = {(i // 2, i % 2): c for i, c in enumerate(pattern)}
    red = next(p for p, c in at.items() if c == 'R')
    blue = next(p for p, c in at.items() if c == 'B')
    g1 = next(p for p, c in at.items() if c == 'G' and p[0] == red[0])
    g2 = next(p for p, c in at.items() if c == 'G' and p != g1)
    return [red, g1, g2, blue]


def planes(mosaic, pattern):
    """``(H, W)`` mosaic -> ``(H / 2, W / 2, 4)`` R, G1, G2, B planes."""
    return np.stack([mosaic[r::2, c::2] for r, c in positions(pattern)], -1)


def linear(planes4, black, white, matrix):
    """Normalise R, G1, G2, B to 0 at black and 1 at white, average the
    greens and apply ``matrix`` (camera RGB -> output; None: identity) as
    one ``(N, 4) @ (4, 3)`` product.

    Returns:
        ``(h, w, 3)`` float64.
    """
    h, w, _ = planes4.shape
    black = np.asarray(black, np.float64)
    white = np.asarray(white, np.float64)
    norm = (planes4.reshape(-1, 4).astype(np.float64) - black) / (white -
                                                                  black)
    greens_averaged = np.array([[1, 0, 0], [0, 0.5, 0], [0, 0.5, 0],
                                [0, 0, 1]])
    m = np.eye(3) if matrix is None else np.asarray(matrix, np.float64)
    return (norm @ (greens_averaged @ m.T)).reshape(h, w, 3)


def image(frame, matrix):
    """A :class:`~genisp_mmdet.raw.RawFrame`'s packed image through
    ``matrix`` (None: camera RGB), in display orientation.

    Returns:
        ``(H / 2, W / 2, 3)`` float64 (sides swapped for flips 5 and 6).
    """
    where = positions(frame.pattern)
    black = [frame.black_level[r, c] for r, c in where]
    white = [frame.white_level[r, c] for r, c in where]
    return np.rot90(linear(planes(frame.mosaic, frame.pattern), black, white,
                           matrix), QUARTER_TURNS[frame.flip])
