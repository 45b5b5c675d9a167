#!/bin/sh
# Makes examples/audio/sample.wav, the quick start's recording: synthetic speech from espeak-ng
# (apt-get install espeak-ng), mono 16-bit at 22.05 kHz. Dataset audio cannot be redistributed, so
# the project makes its own sample. The committed file is what this command produced.
set -eu
cd "$(dirname "$0")/.."
espeak-ng -v en-us -s 150 -p 60 -a 90 -w examples/audio/sample.wav \
  "Kids are talking by the door. I can't believe you did that again!"
echo "examples/audio/sample.wav: $(wc -c < examples/audio/sample.wav) bytes"
