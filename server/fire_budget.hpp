#pragma once
// How much fired work may be outstanding at once: the sum of the seconds (sleep, or work for
// /async-cpu) of every fired request not yet answered. One click that asks for more than is
// left is refused whole, so the dashboard can never queue up more than this much of the loop's
// time (fifty /async-wrong of one second take fifty seconds of it), and a shutdown never waits
// for more. Used on the dashboard thread only.

#include <algorithm>

namespace asyncscope {

class fire_budget {
 public:
  explicit fire_budget(double total_seconds) : total_(total_seconds) {}

  // Takes `seconds` from what is left: all of it, or nothing (false).
  bool try_take(double seconds) {
    if (outstanding_ + seconds > total_ + tolerance) return false;
    outstanding_ += seconds;
    return true;
  }
  // A fired request was answered, failed, or was dropped from the queue.
  void give_back(double seconds) { outstanding_ = std::max(0.0, outstanding_ - seconds); }

  double outstanding() const { return outstanding_; }
  double total() const { return total_; }

 private:
  static constexpr double tolerance = 1e-9;  // 60 × 1.0 s must fit in 60 s despite rounding
  double total_;
  double outstanding_ = 0;
};

}  // namespace asyncscope
