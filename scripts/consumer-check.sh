#!/usr/bin/env bash
# README as a Swift developer reads it: packages of their own depend on a copy of this checkout in both of
# README's forms ("Adding ArenaCore to a package"), and run README's code, pasted from between its fences.
#
# 1. The path form: README's manifest, as written, next to a copy of this checkout in a folder named as the
#    manifest says (not arena-server). README's library example ("## The library") is main.swift: it must build
#    without a warning and print what the comments of its print lines say. Then the async example ("### Async
#    code"), then the DocC getting-started article's code blocks in order, the same way.
# 2. The url form: the same manifest with README's `.package(url:from:)` and `.product` lines in place of the path
#    ones. The package is not published from here, so git (GIT_CONFIG_*, for this run only) reads README's URL
#    from a local bare repository of the same copy, tagged with the version the daemon prints
#    (ArenaHTTPServer.version in Sources/ArenaHTTP/Server/ArenaHTTPServer+Version.swift), which README's `from:`
#    must name. SwiftPM resolves it as it would a release (identity from the URL's last component, version from
#    the tag) and runs the library example again.
# Usage: scripts/consumer-check.sh   (make consumer-check; CI runs it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
readme="$root/README.md"
SWIFT="${SWIFT:-swift}"

fail() {
  echo "consumer-check: $*" >&2
  exit 1
}

# Every ```swift block of the file `$1` but those whose first line starts with `// Package.swift`, in order.
program_blocks() {
  awk '
    /^```swift$/ { inside = 1; block = ""; lines = 0; next }
    inside && /^```$/ { inside = 0; if (index(head, "// Package.swift") != 1) printf "%s", block; next }
    inside { if (lines++ == 0) head = $0; block = block $0 "\n" }
  ' "$1"
}

# The first ```swift block after the line `$1` (whose first line starts with `$2`, if given), without its fences.
block_after() {
  awk -v heading="$1" -v first="${2:-}" '
    $0 == heading { found = 1; next }
    found && !inside && /^```swift$/ { inside = 1; block = ""; lines = 0; next }
    inside && /^```$/ {
      inside = 0
      if (first == "" || index(head, first) == 1) { printf "%s", block; exit }
      next
    }
    inside { if (lines++ == 0) head = $0; block = block $0 "\n" }
  ' "$readme"
}

manifest="$(block_after '### Adding ArenaCore to a package' '// swift-tools-version')"
url_lines="$(block_after '### Adding ArenaCore to a package' '.package(url:')"
example="$(block_after '## The library')"
async_example="$(block_after '### Async code')"
article="$root/Sources/ArenaCore/ArenaCore.docc/GettingStarted.md"
tutorial="$(program_blocks "$article")"
[ -n "$manifest" ] || fail "README has no manifest block under '### Adding ArenaCore to a package'"
[ -n "$url_lines" ] || fail "README has no .package(url:from:) block under '### Adding ArenaCore to a package'"
[ -n "$example" ] || fail "README has no swift block under '## The library'"
[ -n "$async_example" ] || fail "README has no swift block under '### Async code'"
[ -n "$tutorial" ] || fail "$article has no swift blocks"

# The path form: the folder the manifest depends on and the package name it uses must be the same word, and not
# this repository's own name (the point is a folder of another name).
dependency="$(sed -n 's|.*\.package(path: "\.\./\([^"]*\)").*|\1|p' <<<"$manifest")"
path_package_line="$(grep -E '^[[:space:]]*\.package\(path: ' <<<"$manifest")" || true
path_product="$(grep -oE '\.product\(name: "ArenaCore", package: "[^"]*"\)' <<<"$manifest")" || true
product_package="$(sed -n 's|.*package: "\([^"]*\)").*|\1|p' <<<"$path_product")"
[ -n "$dependency" ] && [ -n "$path_package_line" ] || fail "README's manifest has no .package(path: \"../NAME\")"
[ "$dependency" = "$product_package" ] || fail "path ../$dependency but package: \"$product_package\""
[ "$dependency" != "arena-server" ] || fail "README's path example should use a folder named otherwise"
target="$(awk '/executableTarget/ { on = 1 }
  on && /name: "/ { sub(/.*name: "/, ""); sub(/".*/, ""); print; exit }' <<<"$manifest")"
[ -n "$target" ] || fail "README's manifest names no executable target"

# The url form: README's two lines, and the version a release of this checkout would be tagged with.
url_package_line="$(grep -E '^\.package\(url: ' <<<"$url_lines")" || true
url_product="$(grep -oE '\.product\(name: "ArenaCore", package: "[^"]*"\)' <<<"$url_lines")" || true
url="$(sed -n 's|^\.package(url: "\([^"]*\)", from: "[^"]*"),\{0,1\}$|\1|p' <<<"$url_package_line")"
from="$(sed -n 's|^\.package(url: "[^"]*", from: "\([^"]*\)"),\{0,1\}$|\1|p' <<<"$url_package_line")"
version_file="$root/Sources/ArenaHTTP/Server/ArenaHTTPServer+Version.swift"
version="$(sed -n 's|.*public static let version = "\([^"]*\)".*|\1|p' "$version_file")"
[ -n "$url" ] && [ -n "$from" ] || fail "README's url form is not .package(url: \"URL\", from: \"VERSION\")"
[ -n "$url_product" ] || fail "README's url form has no .product(name: \"ArenaCore\", package: ...)"
[ -n "$version" ] || fail "no version in $version_file"
[ "$from" = "$version" ] ||
  fail "README's url form asks for from: \"$from\" but this checkout is version $version (ArenaHTTPServer.version)"
article_from="$(sed -n 's|.*\.package(url: "[^"]*", from: "\([^"]*\)").*|\1|p' "$article")"
[ "$article_from" = "$version" ] ||
  fail "the getting-started article asks for from: \"$article_from\" but this checkout is version $version"

work="$(mktemp -d "${TMPDIR:-/tmp}/arena-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The copy: this checkout's files as they are now (committed or not, without what git ignores), in a folder of
# the manifest's name, committed and tagged with the version in a repository of its own.
copy="$work/$dependency"
mkdir "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done) | (cd "$root" && tar --null -T - -cf -) | (cd "$copy" && tar -xf -)
git -C "$copy" init -q
git -C "$copy" add -A
git -C "$copy" -c user.name=consumer-check -c user.email=consumer-check@localhost commit -qm "the checkout"
git -C "$copy" tag "$version"
git clone -q --bare "$copy" "$work/remote/arena-server.git"

# Builds the package in the current folder with `$2` as main.swift, runs it, and compares each printed line with
# the comment of each line that starts with print( in `$2`, in order. `$1` names the program in messages; the
# remaining arguments go to `swift build`.
check_program() {
  local what="$1" source="$2"
  shift 2
  printf '%s\n' "$source" >"Sources/$target/main.swift"
  # The build log: a warning anywhere in the consumer's code (or in ArenaCore, built as a dependency) fails.
  if ! "$SWIFT" build "$@" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    fail "$what: the consumer package does not build"
  fi
  if grep -n "warning:" "$work/build.log" >&2; then
    fail "$what: the consumer package builds with warnings"
  fi
  "$("$SWIFT" build "$@" --show-bin-path)/$target" >"$work/output.txt"
  grep -E '^[[:space:]]*print\(' <<<"$source" | sed -E 's|.*\)[[:space:]]+// ||' >"$work/expected.txt"
  [ -s "$work/expected.txt" ] || fail "$what prints nothing"
  if ! diff -u "$work/expected.txt" "$work/output.txt" >&2; then
    fail "$what prints otherwise than its comments say (- comments, + output)"
  fi
  echo "consumer-check: $what: $(wc -l <"$work/expected.txt") printed line(s) as commented"
}

# 1. The path form.
mkdir -p "$work/app/Sources/$target"
printf '%s\n' "$manifest" >"$work/app/Package.swift"
cd "$work/app"
check_program "README's library example (by path, package \"$dependency\")" "$example"
check_program "README's async example (by path)" "$async_example"
check_program "the getting-started article (by path)" "$tutorial"

# 2. The url form: README's manifest with README's url lines in place of the path lines.
mkdir -p "$work/app-url/Sources/$target"
cd "$work/app-url"
awk -v path_line="$path_package_line" -v url_line="$url_package_line" -v path_product="$path_product" \
  -v url_product="$url_product" '
    $0 == path_line { indent = $0; sub(/[^ ].*/, "", indent); line = url_line; sub(/,$/, "", line)
      print indent line; next }
    { i = index($0, path_product); if (i) $0 = substr($0, 1, i - 1) url_product substr($0, i + length(path_product)) }
    { print }
  ' <<<"$manifest" >Package.swift
grep -qF "$url" Package.swift && ! grep -q '\.package(path:' Package.swift || fail "the url manifest was not made"
# Only this run's git reads README's URL from the local repository. SwiftPM gets a cache and a fingerprint store
# of its own: no earlier run's clone of that URL is reused, and the commit this run tags is not held against the
# one an earlier run tagged with the same version (SwiftPM records the first commit it saw for a version).
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.file://$work/remote/arena-server.git.insteadOf" GIT_CONFIG_VALUE_0="$url"
url_flags=(--cache-path "$work/swiftpm-cache" --security-path "$work/swiftpm-security")
check_program "README's library example (by url, from: \"$from\")" "$example" "${url_flags[@]}"
"$SWIFT" package "${url_flags[@]}" show-dependencies --format json >"$work/dependencies.json"
python3 - "$url" "$version" "$work/dependencies.json" <<'EOF' || fail "README's URL did not resolve to the tag"
import json, sys
url, version, path = sys.argv[1:]
found = [d for d in json.load(open(path))["dependencies"] if d["url"] == url]
assert found and found[0]["identity"] == "arena-server" and found[0]["version"] == version, found
print(f"consumer-check: {url} resolved as package {found[0]['identity']} at {found[0]['version']}")
EOF
