#!/usr/bin/env bash
# Builds watershed_<version>_amd64.deb: a release build with the Swift runtime linked in (an operator's host has no
# Swift toolchain), laid out on the FHS (deploy/debian/README.md):
#
#   /usr/lib/watershed/watershed                     the binary, with its resource bundle and watershed.commit beside it
#   /usr/bin/watershed                               a symlink to it
#   /usr/share/watershed/{playbooks,seeds}           the shared basin map and the provinces' seeds
#   /etc/watershed/watershed.yaml                    the config (a conffile: an edited one survives upgrades)
#   /lib/systemd/system/watershed.service            the unit
#   /usr/share/doc/watershed/                        README, deploy notes, copyright, changelog
#
# Usage: deploy/debian/build-deb.sh [--version V] [--skip-build] [--out DIR]
#   --version V    the package version (default: BuildInfo.version, Sources/WatershedServer/Metrics/BuildInfo.swift)
#   --skip-build   package the release binary already built (the same one; CI packages it twice as two versions)
#   --out DIR      where the .deb goes (default dist/); the staged tree is DIR/root-<version>/
# Environment: WATERSHED_RELEASE_SCRATCH, a scratch path for the release build (default .build).
# Prints the .deb's path (alone on standard output; the build's own output goes to standard error).
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/.*public static let version = "\(.*\)".*/\1/p' Sources/WatershedServer/Metrics/BuildInfo.swift)
out=dist
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --skip-build) build=; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$version" ] || { echo "build-deb.sh: no version found in BuildInfo.swift; give --version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
scratch=(--scratch-path "${WATERSHED_RELEASE_SCRATCH:-.build}")
if [ -n "$build" ]; then
  # --static-swift-stdlib links the Swift runtime and Foundation in; what is left is the C library, SQLite and the
  # C++ runtime, which Debian packages name (Depends, below).
  swift build -c release --static-swift-stdlib --product watershed "${scratch[@]}" >&2
fi
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
[ -x "$bin/watershed" ] || { echo "build-deb.sh: no release binary at $bin/watershed (run without --skip-build)" >&2; exit 1; }

root="$out/root-$version"
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/lib/watershed" "$root/usr/bin" "$root/usr/share/watershed" \
  "$root/etc/watershed" "$root/lib/systemd/system" "$root/usr/share/doc/watershed"

# The binary, stripped as dh_strip strips an executable; its resource bundles (the console, the OpenAPI document);
# the commit it was built from (`watershed --version`, watershed_build_info).
install -m 0755 "$bin/watershed" "$root/usr/lib/watershed/watershed"
strip --remove-section=.comment --remove-section=.note "$root/usr/lib/watershed/watershed"
for bundle in "$bin"/*.resources; do
  [ -d "$bundle" ] || continue
  cp -R "$bundle" "$root/usr/lib/watershed/"
done
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
echo "$commit" >"$root/usr/lib/watershed/watershed.commit"
ln -s ../lib/watershed/watershed "$root/usr/bin/watershed"

cp -R playbooks seeds "$root/usr/share/watershed/"
install -m 0644 deploy/watershed.example.yaml "$root/etc/watershed/watershed.yaml"
install -m 0644 deploy/watershed.service "$root/lib/systemd/system/watershed.service"
install -m 0644 README.md "$root/usr/share/doc/watershed/README.md"
install -m 0644 deploy/README.md "$root/usr/share/doc/watershed/deploy.md"
install -m 0644 deploy/debian/copyright "$root/usr/share/doc/watershed/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@COMMIT@/$commit/" \
  -e "s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" \
  deploy/debian/changelog.in | gzip -9n >"$root/usr/share/doc/watershed/changelog.gz"
install -D -m 0644 deploy/debian/lintian-overrides "$root/usr/share/lintian/overrides/watershed"
find "$root" -type d -exec chmod 0755 {} +
find "$root/usr/share" "$root/usr/lib/watershed" -type f ! -name watershed -exec chmod 0644 {} +

# Depends: the package of every shared library the installed binary loads, with the versions its symbols need
# (dpkg-shlibdeps reads the binary's NEEDED entries; nothing may come from the toolchain's folder).
if ldd "$root/usr/lib/watershed/watershed" | grep -q "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"; then
  echo "build-deb.sh: the binary loads a library from the Swift toolchain:" >&2
  ldd "$root/usr/lib/watershed/watershed" >&2
  exit 1
fi
shlibs=$(mktemp -d)
mkdir -p "$shlibs/debian"
printf 'Source: watershed\n\nPackage: watershed\nArchitecture: any\n' >"$shlibs/debian/control"
binary=$(readlink -f "$root/usr/lib/watershed/watershed")
depends=$(cd "$shlibs" && dpkg-shlibdeps -O "$binary" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs"
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no Depends" >&2; exit 1; }

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
  -e "s/@SIZE@/$installed_size/" deploy/debian/control.in >"$root/DEBIAN/control"
echo /etc/watershed/watershed.yaml >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "deploy/debian/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"

deb="$out/watershed_${version}_${arch}.deb"
fakeroot dpkg-deb --build -Zxz "$root" "$deb" >/dev/null
echo "$deb"
