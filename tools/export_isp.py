"""Export the trained ISP of a GenISP model alone, for any runtime.

    python tools/export_isp.py CHECKPOINT --config CONFIG \\
        --format onnx|torchscript --out FILE

Writes ``model.data_preprocessor.isp`` with its trained weights: input
``xyz`` (1, 3, H, W) float32 packed CIE XYZ (as LoadRawImageFromFile with
mode='xyz' produces it), output ``rgb`` (1, 3, H, W) float32 RGB,
nominally [0, 1]; H and W are dynamic. docs/export.md says what a runtime
does before and after it.
"""
import argparse
import sys

from genisp_mmdet.apis.export import (DEFAULT_OPSET, FORMATS, INPUT_NAME,
                                      OUTPUT_NAME, export_isp, load_isp)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='checkpoint of the GenISP model '
                        '(or of the ISP alone, with --prefix "")')
    parser.add_argument('--config', required=True, help='the model config')
    parser.add_argument('--format', required=True, choices=FORMATS)
    parser.add_argument('--out', required=True, help='file to write')
    parser.add_argument('--prefix', default='data_preprocessor.isp.',
                        help='key prefix of the ISP in the checkpoint')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help='ONNX opset version')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        isp = load_isp(args.config, args.checkpoint, args.prefix)
    except (KeyError, ValueError, FileNotFoundError) as e:
        sys.exit(f'export_isp: {e.args[0] if isinstance(e, KeyError) else e}')
    export_isp(isp, args.out, args.format, opset=args.opset)
    print(f'wrote {args.out} ({args.format}): input {INPUT_NAME!r} '
          f'(1, 3, H, W) float32 packed XYZ -> output {OUTPUT_NAME!r} '
          '(1, 3, H, W) float32 RGB')


if __name__ == '__main__':
    main()
