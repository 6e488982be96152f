#pragma once
// What a page that opens now missed: the dashboard's recent events, each tick's text encoded
// once and shared with every viewer. A new viewer gets them right after its hello, so a page
// opened (or reloaded) in the middle of a block shows at once what led up to it. Bounded by age
// and by size; the oldest go first. Used on the dashboard thread only.

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace asyncscope {

// One piece of the event stream, encoded once and shared by every viewer that still has to
// send it.
using encoded_events = std::shared_ptr<const std::string>;

class event_history {
 public:
  event_history(double keep_seconds, std::size_t keep_bytes)
      : keep_seconds_(keep_seconds), keep_bytes_(keep_bytes) {}

  // Adds what happened at `at` (seconds, any clock the caller keeps to) and forgets what is
  // now older than keep_seconds or beyond keep_bytes.
  void add(double at, encoded_events events) {
    bytes_ += events->size();
    kept_.push_back({at, std::move(events)});
    while (!kept_.empty() && (kept_.front().at < at - keep_seconds_ || bytes_ > keep_bytes_)) {
      bytes_ -= kept_.front().events->size();
      kept_.pop_front();
    }
  }

  // Everything kept, oldest first.
  std::vector<encoded_events> all() const {
    std::vector<encoded_events> out;
    out.reserve(kept_.size());
    for (const auto& entry : kept_) out.push_back(entry.events);
    return out;
  }

  std::size_t bytes() const { return bytes_; }

 private:
  struct entry {
    double at;
    encoded_events events;
  };
  double keep_seconds_;
  std::size_t keep_bytes_;
  std::size_t bytes_ = 0;
  std::deque<entry> kept_;
};

}  // namespace asyncscope
