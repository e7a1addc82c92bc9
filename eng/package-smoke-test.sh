#!/usr/bin/env bash
# Installs the package the way a .NET developer does and checks that it works (README, "Installing into your own app"):
#   1. packs src/Microsoft.ML.NFNet into a local folder feed (a new version every run: VersionPrefix-dev.<UTC time>)
#      and checks the package's metadata (readme, licence, repository commit, XML docs, symbols, the build check);
#   2. creates a console app OUTSIDE the repository with `dotnet new console`, adds the package from the folder feed
#      plus libtorch-cpu-linux-x64 from nuget.org, runs the README's pipeline (nfnet_tiny from scratch, 2 epochs, 32 px)
#      on generated PNGs and saves model.zip; a second process loads it and must predict exactly the same; then the
#      same with the newest ML.NET release the package admits (Microsoft.ML 6.0.0), which must not warn NU1608;
#   3. checks the build-time backend check: an app without a backend warns NFNET001; the opt-out, a class library and
#      the app with a backend do not;
#   4. measures the package, the app's linux-x64 publish folder and the web API sample's (--no-sizes skips this).
# Usage: eng/package-smoke-test.sh [--results FILE] [--no-sizes] [--keep]
#   --results FILE  appends one line per check ("passed: NAME" / "failed: NAME") for .ci/run's count
#   --keep          leaves the temporary folder (printed at the start) for inspection
# Needs: the .NET 10 SDK, python3, NuGet access, libstdc++ with GLIBCXX_3.4.32 (eng/install-prerequisites.sh).
# Exit code: 0 when every check passed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

results=/dev/null
measure_sizes=1
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --results) results=$(realpath -m "$2"); mkdir -p "$(dirname "$results")"; shift 2 ;;
    --no-sizes) measure_sizes=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

work=$(mktemp -d "${TMPDIR:-/tmp}/nfnet-package-smoke.XXXXXX")
case $work/ in "$repo"/*) echo "the temporary folder $work is inside the repository; set TMPDIR elsewhere" >&2; exit 2 ;; esac
feed=$work/feed
global_packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
version=""
cleanup() {
  # The dev version is unique to this run: take it out of the global packages folder again.
  [[ -n $version ]] && rm -rf "$global_packages/microsoft.ml.nfnet/$version"
  if [[ $keep == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
echo "package smoke test in $work"

passed=0 failed=0
pass() { echo "PASS: $1"; echo "passed: $1" >> "$results"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1${2:+ — $2}" >&2; echo "failed: $1" >> "$results"; failed=$((failed + 1)); }
# Runs a command with its output in $work/logs/NAME.log; on failure prints the log's tail.
run_logged() {
  local name=$1; shift
  mkdir -p "$work/logs"
  local rc=0
  "$@" > "$work/logs/$name.log" 2>&1 || rc=$?
  if [[ $rc != 0 ]]; then
    echo "--- $* (exit $rc), last lines of its output:" >&2
    tail -n 40 "$work/logs/$name.log" >&2
  fi
  return $rc
}
finish() {
  echo "package smoke test: $passed passed, $failed failed"
  if [[ $failed != 0 ]]; then exit 1; fi
  exit 0
}

# 1. Pack into the folder feed. The stamp is passed in so that restore, build and pack agree on one version.
stamp=$(date -u +%Y%m%d%H%M%S)
if ! run_logged pack dotnet pack "$repo/src/Microsoft.ML.NFNet" -c Release -o "$feed" -p:NFNetBuildStamp="$stamp"; then
  fail "pack"; finish
fi
nupkg=$(ls "$feed"/Microsoft.ML.NFNet.*.nupkg)
version=$(basename "$nupkg" .nupkg); version=${version#Microsoft.ML.NFNet.}
[[ $version == *-dev.$stamp ]] && pass "pack gives a new dev version each run ($version)" \
  || fail "pack gives a new dev version each run" "got $version"

if python3 - "$nupkg" "$feed/Microsoft.ML.NFNet.$version.snupkg" <<'PY'
import sys, zipfile, xml.etree.ElementTree as ET
nupkg, snupkg = sys.argv[1], sys.argv[2]
problems = []
with zipfile.ZipFile(nupkg) as z:
    names = set(z.namelist())
    meta = ET.fromstring(z.read("Microsoft.ML.NFNet.nuspec")).find("{*}metadata")
    get = lambda tag: meta.find("{*}" + tag)
    for f in ["PACKAGE.md", "LICENSE", "lib/net10.0/Microsoft.ML.NFNet.dll", "lib/net10.0/Microsoft.ML.NFNet.xml",
              "buildTransitive/Microsoft.ML.NFNet.targets"]:
        if f not in names: problems.append(f"missing {f}")
    if get("readme") is None or get("readme").text != "PACKAGE.md": problems.append("no readme element")
    lic = get("license")
    if lic is None or lic.get("type") != "expression" or lic.text != "MIT": problems.append("licence is not the MIT expression")
    if get("authors") is None or get("authors").text == "Microsoft.ML.NFNet": problems.append("authors is the package id")
    repo = get("repository")
    if repo is None or len(repo.get("commit", "")) != 40: problems.append("no repository commit (SourceLink)")
    deps = {d.get("id"): d.get("version") for d in meta.findall(".//{*}dependency")}
    if "TorchSharp" not in deps or any(d.lower().startswith(("libtorch-", "torchsharp-")) for d in deps):
        problems.append(f"dependencies must be the managed TorchSharp without a native backend: {deps}")
with zipfile.ZipFile(snupkg) as z:
    pdb = z.read("lib/net10.0/Microsoft.ML.NFNet.pdb")
    if not pdb.startswith(b"BSJB"): problems.append("the symbols package's PDB is not a portable PDB")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
then pass "package metadata: readme, MIT licence, authors, repository commit, XML docs, snupkg, buildTransitive check"
else fail "package metadata"; fi

# Deterministic: compiling the same commit again gives a byte-identical assembly.
if run_logged rebuild dotnet build "$repo/src/Microsoft.ML.NFNet" -c Release --no-incremental \
     -p:_IsPacking=true -p:NFNetBuildStamp="$stamp" \
   && python3 - "$nupkg" "$repo/src/Microsoft.ML.NFNet/bin/Release/net10.0/Microsoft.ML.NFNet.dll" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z: packed = z.read("lib/net10.0/Microsoft.ML.NFNet.dll")
sys.exit(0 if packed == open(sys.argv[2], "rb").read() else 1)
PY
then pass "deterministic: a second compile gives the packed assembly byte for byte"
else fail "deterministic build" "the recompiled Microsoft.ML.NFNet.dll differs from the packed one"; fi

# 2. A brand-new app outside the repository. Its nuget.config lists the folder feed and nuget.org; the unique version
#    means no earlier copy in a NuGet cache can stand in for this build.
cd "$work"
if ! { run_logged new-nugetconfig dotnet new nugetconfig \
        && run_logged add-source dotnet nuget add source "$feed" --name nfnet-local --configfile nuget.config \
        && run_logged new-app dotnet new console -o SmokeApp; }; then
  fail "dotnet new nugetconfig / nuget add source / new console"; finish
fi
cd SmokeApp
if run_logged add-nfnet dotnet add package Microsoft.ML.NFNet --version "$version" \
   && run_logged add-backend dotnet add package libtorch-cpu-linux-x64 --version 2.10.0; then
  pass "dotnet add package: Microsoft.ML.NFNet from the folder feed, libtorch-cpu-linux-x64 from nuget.org"
else
  fail "dotnet add package"; finish
fi
cp "$repo/eng/package-smoke/Program.cs" Program.cs
if run_logged build-app dotnet build -c Release; then
  if grep -q NFNET001 "$work/logs/build-app.log"; then fail "app with a backend builds without NFNET001" "it warned"
  else pass "app with a backend builds without NFNET001"; fi
else
  fail "app with a backend builds"; finish
fi
app=bin/Release/net10.0/SmokeApp.dll
if run_logged train dotnet "$app" train "$work/run"; then
  pass "README pipeline trains nfnet_tiny from scratch and saves model.zip"; tail -n 1 "$work/logs/train.log"
  if run_logged predict dotnet "$app" predict "$work/run"; then
    pass "a second process loads model.zip and predicts what the first one did"; tail -n 1 "$work/logs/predict.log"
  else fail "second process loads and predicts"; fi
else
  fail "README pipeline trains and saves"
fi

# 2b. The same app on the newest ML.NET release the package's range admits: no NU1608, trains, loads in a second process.
cd "$work"
mlnet_newest=6.0.0
if run_logged new-app-mlnet dotnet new console -o SmokeAppNewestMLNet \
   && run_logged add-mlnet-nfnet dotnet add SmokeAppNewestMLNet package Microsoft.ML.NFNet --version "$version" \
   && run_logged add-mlnet-backend dotnet add SmokeAppNewestMLNet package libtorch-cpu-linux-x64 --version 2.10.0 \
   && run_logged add-mlnet dotnet add SmokeAppNewestMLNet package Microsoft.ML --version "$mlnet_newest" \
   && run_logged add-mlnet-image dotnet add SmokeAppNewestMLNet package Microsoft.ML.ImageAnalytics --version "$mlnet_newest" \
   && cp "$repo/eng/package-smoke/Program.cs" SmokeAppNewestMLNet/Program.cs \
   && run_logged build-app-mlnet dotnet build SmokeAppNewestMLNet -c Release \
   && ! grep -E "NU1608|NU1605|NFNET001" "$work/logs/build-app-mlnet.log" \
   && run_logged train-mlnet dotnet SmokeAppNewestMLNet/bin/Release/net10.0/SmokeAppNewestMLNet.dll train "$work/run-mlnet" \
   && run_logged predict-mlnet dotnet SmokeAppNewestMLNet/bin/Release/net10.0/SmokeAppNewestMLNet.dll predict "$work/run-mlnet"; then
  pass "with Microsoft.ML $mlnet_newest: builds without NU1608, trains, a second process predicts the same"
else
  fail "with Microsoft.ML $mlnet_newest: builds without NU1608, trains, a second process predicts the same"
fi

# 3. The build-time backend check (buildTransitive/Microsoft.ML.NFNet.targets in the package).
cd "$work"
if run_logged new-nobackend dotnet new console -o NoBackendApp \
   && run_logged add-nobackend dotnet add NoBackendApp package Microsoft.ML.NFNet --version "$version" \
   && run_logged build-nobackend dotnet build NoBackendApp -c Release && grep -q "warning NFNET001" "$work/logs/build-nobackend.log"; then
  pass "app without a backend: build warns NFNET001"; grep -m1 -o "warning NFNET001: [^[]*" "$work/logs/build-nobackend.log" | cut -c1-160
else fail "app without a backend: build warns NFNET001"; fi
if run_logged build-optout dotnet build NoBackendApp -c Release -p:NFNetSkipBackendCheck=true && ! grep -q NFNET001 "$work/logs/build-optout.log"; then
  pass "NFNetSkipBackendCheck=true silences NFNET001"
else fail "NFNetSkipBackendCheck=true silences NFNET001"; fi
if run_logged new-classlib dotnet new classlib -o SmokeLibrary \
   && run_logged add-classlib dotnet add SmokeLibrary package Microsoft.ML.NFNet --version "$version" \
   && run_logged build-classlib dotnet build SmokeLibrary -c Release && ! grep -q NFNET001 "$work/logs/build-classlib.log"; then
  pass "class library without a backend: no NFNET001"
else fail "class library without a backend: no NFNET001"; fi

# 4. Sizes for the README: what a user downloads and deploys.
if [[ $measure_sizes == 1 ]]; then
  mib() { du -sb "$1" | awk '{printf "%.1f MiB", $1 / 1048576}'; }
  if run_logged publish-app dotnet publish SmokeApp -c Release -r linux-x64 --self-contained false -o "$work/publish-app" \
     && run_logged publish-webapi dotnet publish "$repo/src/Microsoft.ML.NFNet.Samples.WebApi" -c Release -r linux-x64 \
          --self-contained false --artifacts-path "$work/webapi-artifacts" -o "$work/publish-webapi"; then
    pass "publish for linux-x64: the console app and the web API sample"
    echo "sizes: package $(mib "$nupkg") (symbols $(mib "$feed/Microsoft.ML.NFNet.$version.snupkg")),"\
         "console app published for linux-x64 $(mib "$work/publish-app"),"\
         "web API sample published for linux-x64 $(mib "$work/publish-webapi"),"\
         "libtorch-cpu-linux-x64 2.10.0 in the NuGet cache $(mib "$global_packages/libtorch-cpu-linux-x64/2.10.0")"
  else fail "publish for linux-x64"; fi
fi
finish
