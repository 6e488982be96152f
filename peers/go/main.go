// The lesson's three endpoints in Go's net/http, to read beside server/lesson.cpp.
//
// Go has no async/await and no event loop that a handler could block. net/http runs every
// connection on its own goroutine, and the Go runtime runs goroutines on a few OS threads
// (M:N scheduling, GOMAXPROCS of them running Go code at once). When a goroutine waits for a
// timer, a channel or the network, the runtime parks that goroutine and the OS thread runs
// another one. So in Go:
//
//   /sync-endpoint   a blocking time.Sleep, as in the lesson's plain `def`. It parks its
//                    goroutine; no pool, no OS thread held. 50 requests: about one second.
//   /async-endpoint  waits on a timer's channel through two nested calls, the nearest Go has to
//                    `await asyncio.sleep`. The same parking as above. 50 requests: one second.
//   /async-wrong     the very call that freezes asyncscope's and FastAPI's event loop: a
//                    blocking time.Sleep. Here it only parks its goroutine (see asyncWrong).
//
// Run:  cd peers/go && go run . -port 8000    (Debian: apt-get install golang-go; stdlib only)

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Same default and limit as asyncscope-server's --sleep and --max-sleep.
const (
	defaultSleep = 1.0
	maxSleep     = 60.0
)

// What each lesson endpoint answers: the fields of common/endpoint_result.hpp.
type endpointResult struct {
	Message    string  `json:"message"`
	Endpoint   string  `json:"endpoint"`
	RequestID  uint64  `json:"request_id"`
	PID        int     `json:"pid"`
	ThreadID   int     `json:"thread_id"`   // the OS thread the goroutine was on when its I/O began
	ThreadName string  `json:"thread_name"` // Go names no threads and hides goroutine ids: ""
	Sleep      float64 `json:"sleep"`
	StartedAt  float64 `json:"started_at"`
	FinishedAt float64 `json:"finished_at"`
	Duration   float64 `json:"duration"`
	Note       string  `json:"note,omitempty"`
}

var (
	lastRequestID atomic.Uint64
	logInfo       = true // false at -log-level warn or off
)

// One call to a lesson endpoint; in logs it reads "/async-endpoint #17".
type call struct {
	endpoint string
	id       uint64
	sleep    time.Duration
	started  time.Time
	threadID int
}

func (c *call) String() string { return fmt.Sprintf("%s #%d", c.endpoint, c.id) }

// logf writes one line like asyncscope's: time, Process ID, and the OS thread this goroutine is
// on right now. Watch the thread change between the lines of one request: the goroutine moved.
func logf(c *call, format string, args ...any) {
	if logInfo {
		log.Printf("Process ID: %d | Thread ID: %d | %s %s", os.Getpid(), syscall.Gettid(), c,
			fmt.Sprintf(format, args...))
	}
}

// /sync-endpoint, like FastAPI's plain `def`: ordinary blocking code, run where the request
// arrived, on the connection's own goroutine. Go needs no worker pool to keep it off a loop.
func syncEndpoint(c *call) endpointResult {
	logf(c, "just called")
	logf(c, "sleep %g s, starting the I/O now (at %.6f)", c.sleep.Seconds(), unixSeconds(c.started))
	time.Sleep(c.sleep) // simulated I/O: parks this goroutine, only it
	logf(c, "slept for %g s", c.sleep.Seconds())
	return finish(c, "Sync endpoint completed!")
}

// The innermost call of /async-endpoint: the only place that waits. Receiving from the timer's
// channel is Go's way to wait for an event; it also gives up early if the client went away.
func asyncDepth2(r *http.Request, c *call) {
	logf(c, "I'm just in depth 2")
	logf(c, "Call ASYNC JOB to system! (this goroutine parks; its thread runs others)")
	simulatedIO := time.NewTimer(c.sleep)
	defer simulatedIO.Stop()
	select {
	case <-simulatedIO.C:
	case <-r.Context().Done():
	}
	logf(c, "Came back to depth 2")
	logf(c, "depth 2 DONE")
}

// A function that calls a function: nothing to await, the goroutine's stack holds the chain.
func asyncDepth1(r *http.Request, c *call) {
	logf(c, "I'm just in depth 1")
	logf(c, "Call depth 2")
	asyncDepth2(r, c)
	logf(c, "Came back to depth 1")
	logf(c, "depth 1 DONE")
}

// /async-endpoint, like FastAPI's `async def` that awaits asyncio.sleep.
func asyncEndpoint(r *http.Request, c *call) endpointResult {
	logf(c, "just called")
	logf(c, "sleep %g s, starting the I/O now (at %.6f)", c.sleep.Seconds(), unixSeconds(c.started))
	asyncDepth1(r, c)
	logf(c, "waited for the I/O for %g s", c.sleep.Seconds())
	return finish(c, "Async endpoint completed!")
}

// /async-wrong, like `time.sleep()` inside FastAPI's `async def`. In Python and in asyncscope
// this freezes the one thread that runs every request. In Go it does not, and not by magic:
// time.Sleep is not a system call that holds the OS thread. The runtime puts this goroutine on
// its timer heap, marks it waiting, and the same OS thread picks the next runnable goroutine.
// Even a truly blocking system call only holds one OS thread: the runtime notices and hands
// the others' work to another thread (and starts one if it must). That is the runtime's choice
// (every goroutine has its own growable stack, and every blocking call is made to park it), and
// it costs memory per goroutine and a scheduler in every Go program.
func asyncWrong(c *call) endpointResult {
	logf(c, "just called")
	logf(c, "sleep %g s, starting the I/O now (at %.6f)", c.sleep.Seconds(), unixSeconds(c.started))
	time.Sleep(c.sleep) // the blocking sleep that freezes an event loop parks only a goroutine here
	logf(c, "slept for %g s, and the other goroutines went on meanwhile", c.sleep.Seconds())
	return finish(c, "Async-wrong endpoint completed!")
}

// finish builds the answer, and says so when the goroutine came back on another OS thread.
func finish(c *call, message string) endpointResult {
	finishedAt := time.Now()
	result := endpointResult{
		Message: message, Endpoint: c.endpoint, RequestID: c.id, PID: os.Getpid(),
		ThreadID: c.threadID, Sleep: c.sleep.Seconds(),
		StartedAt: unixSeconds(c.started), FinishedAt: unixSeconds(finishedAt),
		Duration: math.Round(finishedAt.Sub(c.started).Seconds()*1e6) / 1e6, // Sub is monotonic
	}
	if now := syscall.Gettid(); now != c.threadID {
		result.Note = fmt.Sprintf("started on OS thread %d, finished on %d: the goroutine moved",
			c.threadID, now)
	}
	logf(c, "done: sleep %g s, elapsed %.3f s", c.sleep.Seconds(), result.Duration)
	return result
}

// ---- Plumbing: routes, ?sleep=, JSON, flags. The lesson is above. ----

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// plainSeconds is ?sleep= as asyncscope reads it: decimal digits with at most one point
// (2, 0.5, .5); not 1e0, +1, -0 or inf, which strconv.ParseFloat takes.
var plainSeconds = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// sleepOf reads ?sleep=: plain seconds from 0 to maxSleep, default 1.
func sleepOf(r *http.Request) (time.Duration, error) {
	query, err := url.ParseQuery(r.URL.RawQuery) // r.URL.Query() drops what it cannot read
	if err != nil {
		return 0, fmt.Errorf("the query cannot be read: %v", err)
	}
	values := query["sleep"]
	if len(values) == 0 {
		return time.Duration(defaultSleep * float64(time.Second)), nil
	}
	if len(values) > 1 {
		return 0, errors.New("sleep is given more than once")
	}
	seconds, err := strconv.ParseFloat(values[0], 64)
	underflow := seconds == 0 && strings.ContainsAny(values[0], "123456789") // 0.000...1
	if !plainSeconds.MatchString(values[0]) || err != nil || seconds > maxSleep || underflow {
		return 0, fmt.Errorf("sleep must be a number of seconds from 0 to %g, got '%s'",
			maxSleep, values[0])
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// lesson turns one endpoint function into a handler: GET only, ?sleep=, the JSON answer.
func lesson(path string, endpoint func(*http.Request, *call) endpointResult) {
	http.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed",
				"detail": r.Method + " is not allowed on " + path + "; use GET"})
			return
		}
		sleep, err := sleepOf(r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest,
				map[string]string{"error": "bad_sleep", "detail": err.Error()})
			return
		}
		c := &call{endpoint: path, id: lastRequestID.Add(1), sleep: sleep, started: time.Now(),
			threadID: syscall.Gettid()}
		writeJSON(w, http.StatusOK, endpoint(r, c))
	})
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8000, "port to listen on (0: any free port)")
	logLevel := flag.String("log-level", "info", "info, warn or off")
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetOutput(os.Stdout)
	logInfo = *logLevel == "info"

	lesson("/sync-endpoint", func(_ *http.Request, c *call) endpointResult { return syncEndpoint(c) })
	lesson("/async-endpoint", asyncEndpoint)
	lesson("/async-wrong", func(_ *http.Request, c *call) endpointResult { return asyncWrong(c) })
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})

	listener, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer-go:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	go func() { // SIGTERM or Ctrl-C: stop at once, as the demo scripts expect
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
		<-stop
		os.Exit(0)
	}()
	log.Fatal(http.Serve(listener, nil))
}
