#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace asyncscope {

// An io_context run by `count` threads named prefix-0, prefix-1, ... The event loop and the
// worker pool are both one of these; only what runs on them differs.
class named_threads {
 public:
  named_threads(std::string prefix, int count);
  ~named_threads();
  named_threads(const named_threads&) = delete;
  named_threads& operator=(const named_threads&) = delete;

  boost::asio::io_context& context() { return context_; }
  // Starts the threads; each calls on_start(its name), if given, before it runs the io_context.
  void start(std::function<void(const std::string&)> on_start = {});
  void stop_and_join();

 private:
  std::string prefix_;
  int count_;
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  std::vector<std::thread> threads_;
};

}  // namespace asyncscope
