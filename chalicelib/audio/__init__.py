"""The audio core: probe and convert. Pure: paths, URLs and callables in, values out; no AWS."""
