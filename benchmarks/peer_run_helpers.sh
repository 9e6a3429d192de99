# Sourced by run_peers.sh and run_conv_peers.sh: the packages a run needs, how busy the machine is, and
# waiting until it is quiet.
busy_jiffies() { local a; a=($(head -1 /proc/stat)); echo $(( a[1]+a[2]+a[3]+a[6]+a[7]+a[8] )); }
wait_quiet() {  # until < 10 % of the CPUs were busy over 1 s, at most QUIET_MAX_WAIT seconds
  local waited=0 j0 j1
  [ "${QUIET_MAX_WAIT:-0}" -gt 0 ] || { echo 0; return; }
  while j0=$(busy_jiffies); sleep 1; j1=$(busy_jiffies); [ $(( (j1 - j0) * 100 / ($(nproc) * $(getconf CLK_TCK)) )) -ge 10 ]; do
    [ "$waited" -ge "$QUIET_MAX_WAIT" ] && break
    sleep 4; waited=$((waited + 5))
  done
  echo "$waited"
}

# install_missing SCRIPT PACKAGE...: apt-get installs the packages that are not installed (as root), or with
# SKIP_APT=1 only names them.
install_missing() {
  local script=$1 p missing=()
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "${SKIP_APT:-0}" = 1 ]; then
    echo "$script: missing packages (SKIP_APT=1, not installing): ${missing[*]}" >&2
  else
    echo "+ apt-get install ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}
