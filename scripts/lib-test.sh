#!/usr/bin/env bash
# lib-test.sh BUILD: the C ABI's tests, after `make lib` and `make install PREFIX=BUILD/prefix`.
#  1. abi_test (statuses, threads, destroy races, budget, strides, fork), plain and under
#     AddressSanitizer + UndefinedBehaviorSanitizer.
#  2. A host program defining Go runtime names, linked statically.
#  3. The C and C++ examples built by CMake against the installed package
#     (find_package(fluxcore 2)), shared and static, run on the FNO goldens by ctest.
#  4. The C example built with pkg-config's flags.
set -euo pipefail
build=$1
golden=engine/fno/testdata/golden
prefix=$build/prefix
cflags=(-O1 -g -Wall -Wextra -Werror -Ibindings/include)
libs=(-L"$build" -lfluxcore -lm -lpthread -Wl,-rpath,"$PWD/$build")

cc "${cflags[@]}" bindings/tests/abi_test.c "${libs[@]}" -o "$build/abi_test"
"$build/abi_test" "$golden"
cc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  bindings/tests/abi_test.c "${libs[@]}" -o "$build/abi_test_asan"
ASAN_OPTIONS=detect_leaks=0 "$build/abi_test_asan" "$golden"

cc "${cflags[@]}" bindings/tests/host_symbols.c "$build/libfluxcore.a" -lpthread -lm -o "$build/host_symbols"
"$build/host_symbols"

cmake -S bindings/examples -B "$build/examples" -DCMAKE_PREFIX_PATH="$PWD/$prefix" \
  -DFLUXCORE_GOLDEN="$PWD/$golden" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build/examples" -- -s >/dev/null
(cd "$build/examples" && ctest --output-on-failure)

PKG_CONFIG_PATH="$PWD/$prefix/lib/pkgconfig" pkg-config --exists 'fluxcore = 2'
# shellcheck disable=SC2046
cc -O2 -Wall -Werror bindings/examples/fno_golden.c $(PKG_CONFIG_PATH="$PWD/$prefix/lib/pkgconfig" pkg-config --cflags --libs fluxcore) \
  -lm -Wl,-rpath,"$PWD/$prefix/lib" -o "$build/fno_golden_pkgconfig"
"$build/fno_golden_pkgconfig" "$golden/fno2d"
