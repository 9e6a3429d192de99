#!/usr/bin/python3
"""Writes the .npy fixtures of tests/unit/test_data_npy.cpp with NumPy itself (not typenet's reader's
idea of the format). Element k (row-major) of every array is k * 0.5 - 1 converted to its dtype, except
where noted; the test recomputes that formula. Run from this directory: /usr/bin/python3 data_make_npy.py"""
import numpy as np

def ramp(shape, dtype):
    return (np.arange(int(np.prod(shape))) * 0.5 - 1).reshape(shape).astype(dtype)

np.save("data_f4_2d.npy", ramp((3, 4), np.float32))
np.save("data_f8_fortran.npy", np.asfortranarray(ramp((3, 4), np.float64)))
np.save("data_u1_3d.npy", (np.arange(12) * 20).reshape((2, 2, 3)).astype(np.uint8))  # 0, 20, ..., 220
np.save("data_i2_1d.npy", ramp((5,), np.float64).astype(np.int16) * 1000 + 7)     # int16, 1-D
np.save("data_labels_i8.npy", np.array([3, 0, 9], dtype=np.int64))
# 31 dimensions make NumPy write a 182-byte header (0xB6): xnpy alone misreads such a length.
np.save("data_long_header.npy", ramp((2,) + (1,) * 30, np.float32))
