#!/bin/sh
# Installs the real Fashion-MNIST files (Debian's dataset-fashion-mnist package) when they are missing.
set -e
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
Fashion-MNIST is missing. Install it with one of:
  sudo apt-get install dataset-fashion-mnist         (Debian/Ubuntu: files land in /usr/share/datasets/fashion-mnist)
  copy train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
  t10k-labels-idx1-ubyte.gz into $MXNET_HOME/datasets/fashion-mnist (default ~/.mxnet/datasets/fashion-mnist)
MSG
exit 1
