// The lesson's /async-endpoint in nginx's own JavaScript (njs), for scripts/peers.sh: nginx
// doing the work asyncscope does for each answer (read ?sleep=, wait on a timer, build the JSON),
// where nginx.sh --config-answers only sends bytes written in its config.
//
// nginx is an event loop like asyncscope's: one worker process, one thread, every connection a
// state machine on epoll. setTimeout puts this request's rest on the worker's timer and returns;
// the worker serves the others meanwhile, as `co_await timer` does in server/lesson.cpp.
// There is no /sync-endpoint (njs has no thread pool to hand a blocking call to) and no
// /async-wrong (njs has no blocking sleep to get wrong).
//
// njs starts a fresh JavaScript VM for every request, so nothing survives from one request to
// the next: request_id is nginx's serial number of the connection, which the lesson's client
// opens one of per call.

const defaultSleep = 1; // the same default and limit as asyncscope-server's --sleep, --max-sleep
const maxSleep = 60;

// ?sleep= as asyncscope reads it: plain decimal seconds (2, 0.5, .5) from 0 to maxSleep.
// Returns the seconds, or the error to answer.
function sleepOf(r) {
  const text = r.args.sleep;
  if (text === undefined) return defaultSleep;
  if (Array.isArray(text)) return 'sleep is given more than once';
  const plain = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(text); // one way to match: no backtracking
  const seconds = plain ? Number(text) : NaN;
  const underflow = seconds === 0 && /[1-9]/.test(text); // 0.000...1: too small for a double
  if (seconds <= maxSleep && !underflow) return seconds;
  return `sleep must be a number of seconds from 0 to ${maxSleep}, got '${text}'`;
}

function asyncEndpoint(r) {
  const sleep = sleepOf(r);
  if (typeof sleep === 'string') {
    r.return(400, JSON.stringify({error: 'bad_sleep', detail: sleep})); // nginx.sh's default_type
    return;
  }
  const startedAt = Date.now() / 1000; // to the millisecond: njs has no finer clock
  setTimeout(() => { // simulated I/O: the worker goes back to its loop until the timer is due
    const finishedAt = Date.now() / 1000;
    r.return(200, JSON.stringify({
      message: 'Async endpoint completed!', endpoint: '/async-endpoint',
      request_id: Number(r.variables.connection), pid: process.pid,
      thread_id: process.pid, thread_name: 'nginx worker', // one thread per worker process
      sleep, started_at: startedAt, finished_at: finishedAt,
      duration: Math.round((finishedAt - startedAt) * 1000) / 1000, // not 0.99999999
    }));
  }, sleep * 1000);
}

export default {asyncEndpoint};
