// Preloaded (node -r) into every process the Supervisor starts: like Zeek's
// ParentProcessCheckTimer, a child whose Supervisor has gone (it was re-parented)
// terminates itself, so that killing the Supervisor outright leaves no orphans.

const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 2000).unref();
  }
}, 1000);
timer.unref();
