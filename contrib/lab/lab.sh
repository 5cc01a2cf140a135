#!/usr/bin/env bash
# The hsync lab. For now: the tools on the HSYNC records of cases A to D.
set -eu
echo "lab: nothing to run yet"
