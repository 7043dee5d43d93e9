#!/bin/sh
# Build libmemheap_embed.a (this workspace: no std, panic = abort, LTO) and a C program linked
# with -ffreestanding -nostdlib -static against it, run it, and print the sizes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fs=$(dirname "$here")
root=$(dirname "$fs")
(cd "$fs" && cargo build --release -q -p memheap-embed-static)
lib="$fs/target/release/libmemheap_embed.a"
out="$fs/target/release/firmware-c"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -static \
    -fno-stack-protector -fno-pie -no-pie -Wl,--gc-sections \
    -I"$root/memheap-embed/include" "$here/firmware.c" "$lib" -o "$out"
"$out"
echo "libmemheap_embed.a: $(wc -c <"$lib") bytes on disk; firmware-c text (program + heap): $(size "$out" | awk 'NR==2 {print $1}') bytes"
