#!/usr/bin/env python3
"""One timed pandas.read_csv (the C parser, default dtypes) of a ratings.csv, for `pnpm bench scale`.

Usage: pandas_read_csv.py FILE
Prints {"seconds", "rows", "baselineRssMB", "maxRssMB", "pandas"} as JSON; RSS from getrusage (Linux: KiB).
"""
import json
import resource
import sys
import time

import pandas as pd


def main():
    path = sys.argv[1]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    frame = pd.read_csv(path)
    seconds = time.perf_counter() - start
    print(json.dumps({
        'seconds': seconds,
        'rows': len(frame),
        'baselineRssMB': baseline,
        'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'pandas': pd.__version__,
    }))


if __name__ == '__main__':
    main()
