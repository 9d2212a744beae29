// Packets a send stage keeps by a 16-bit sequence number (RTP's for NACK, the transport-wide
// one for TWCC): a ring that holds the last @keep_us of packets, sized by the packet rate. It
// starts at @first slots and doubles whenever it would drop a packet younger than @keep_us (up
// to @max slots); it halves (down to @first) when the newest half alone spans more than
// @keep_us: a viewer's join burst (the cached GOP sent at once) or a rate that fell does not
// keep a big ring for good.
//
// Slot: default-constructible and movable, with `in` (true when it holds a packet), `seq`
// (guint16) and `sent_us` (monotonic µs). Not thread-safe: the owner's lock covers it.
//
// A slot found by at() may hold an older packet with the same low bits, or one 65536 numbers
// back: the owner checks `seq` and the age (find() does both).
#pragma once

#include <glib.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace rtc
{

template <typename Slot> class PacketRing
{
public:
  // @first and @max: powers of two, @first <= @max <= 32768.
  explicit PacketRing (gint64 keep_us, std::size_t first = 128, std::size_t max = 2048)
      : ring_ (first), first_ (first), max_ (max), keep_us_ (keep_us)
  {
    g_assert (first > 0 && (first & (first - 1)) == 0 && (max & (max - 1)) == 0);
    g_assert (first <= max && max <= 32768);
  }

  std::size_t size () const { return ring_.size (); }

  // The slot @seq maps to (it may hold another packet, or none: check its `in` and `seq`).
  Slot &at (guint16 seq) { return ring_[seq & (ring_.size () - 1)]; }

  // The packet numbered @seq if the ring still holds it and it was sent within @keep_us of
  // @now_us; else nullptr.
  Slot *find (guint16 seq, gint64 now_us)
  {
    Slot &slot = at (seq);
    if (!slot.in || slot.seq != seq || now_us - slot.sent_us > keep_us_)
      return nullptr;
    return &slot;
  }

  // The slot to keep @seq in, sent at @now_us: the ring grows first when the packet in that
  // slot is still young enough to be asked for, and shrinks at each wrap when half would do.
  Slot &to_keep (guint16 seq, gint64 now_us)
  {
    const Slot &old = at (seq);
    if (old.in && now_us - old.sent_us <= keep_us_ && ring_.size () < max_)
      resize (ring_.size () * 2);
    else if ((seq & (ring_.size () - 1)) == 0 && ring_.size () > first_)
      {
        // The packet half a ring back: older than @keep_us, then the newest half is enough.
        const Slot &half = at ((guint16)(seq - ring_.size () / 2));
        if (half.in && now_us - half.sent_us > keep_us_)
          resize (ring_.size () / 2);
      }
    return at (seq);
  }

  void clear ()
  {
    for (auto &slot : ring_)
      slot = Slot ();
  }

private:
  // The newest @n packets kept (by sequence number) to their places in a ring of @n slots.
  void resize (std::size_t n)
  {
    std::vector<Slot> next (n);
    // The newest packet kept: the one with the highest sequence number near the others.
    guint16 newest = 0;
    bool any = false;
    for (const auto &slot : ring_)
      if (slot.in && (!any || (gint16)(slot.seq - newest) > 0))
        {
          newest = slot.seq;
          any = true;
        }
    for (auto &slot : ring_)
      if (slot.in && (guint16)(newest - slot.seq) < n)
        next[slot.seq & (n - 1)] = std::move (slot);
    ring_ = std::move (next);
  }

  std::vector<Slot> ring_;
  std::size_t first_, max_;
  gint64 keep_us_;
};

} // namespace rtc
