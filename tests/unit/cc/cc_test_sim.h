// A minimal ack-clocked sender for congestion-controller tests: packets of one datagram
// each are sent while the window allows and acknowledged one RTT later, in send order.
#pragma once
#include <deque>
#include <functional>

#include "braid/congestion_controller.h"

namespace braid::cc::testing {

inline TimePoint at_ms(double ms) { return time_from_us(static_cast<int64_t>(ms * 1000)); }

struct AckClockedSender {
  CongestionController& cc;
  uint64_t mds = 1200;
  Duration rtt = std::chrono::milliseconds(100);
  TimePoint now = at_ms(0);
  std::deque<TimePoint> in_flight;  // send times
  TimePoint last_sent = TimePoint::min();

  uint64_t bytes_in_flight() const { return in_flight.size() * mds; }

  void fill() {
    while (bytes_in_flight() + mds <= cc.window()) {
      in_flight.push_back(now);
      last_sent = now;
      cc.on_packet_sent(SentSample{now, mds, bytes_in_flight(), false});
    }
  }
  // Delivers the ACK for the oldest packet in flight.
  void ack_one() {
    TimePoint sent = in_flight.front();
    in_flight.pop_front();
    if (now < sent + rtt) now = sent + rtt;
    AckSample s;
    s.now = now;
    s.sent_time = sent;
    s.bytes_acked = mds;
    s.latest_rtt = rtt;
    s.smoothed_rtt = rtt;
    s.min_rtt = rtt;
    s.bytes_in_flight = bytes_in_flight();
    cc.on_ack(s);
    fill();
  }
  // Runs until simulated time reaches `until`.
  void run_until(TimePoint until) {
    fill();
    while (!in_flight.empty() && in_flight.front() + rtt <= until) ack_one();
    if (now < until) now = until;
  }
  // Everything in flight is lost; one congestion event, then sending resumes just after.
  void lose_all() {
    LossSample l;
    l.now = now;
    l.largest_lost_sent_time = last_sent;
    l.bytes_lost = bytes_in_flight();
    in_flight.clear();
    l.bytes_in_flight = 0;
    cc.on_congestion_event(l);
    now += std::chrono::microseconds(1);
  }
};

inline AckSample ack_sample(TimePoint now, TimePoint sent, uint64_t bytes, Duration rtt = std::chrono::milliseconds(100),
                            uint64_t in_flight = 0) {
  AckSample s;
  s.now = now;
  s.sent_time = sent;
  s.bytes_acked = bytes;
  s.latest_rtt = rtt;
  s.smoothed_rtt = rtt;
  s.min_rtt = rtt;
  s.bytes_in_flight = in_flight;
  return s;
}

inline LossSample loss_sample(TimePoint now, TimePoint largest_lost_sent, bool persistent = false, bool ce = false) {
  LossSample l;
  l.now = now;
  l.largest_lost_sent_time = largest_lost_sent;
  l.bytes_lost = 1200;
  l.persistent_congestion = persistent;
  l.ecn_ce = ce;
  return l;
}

}  // namespace braid::cc::testing
