/* The servers' accept loop (HttpListener, under every Server) against hostile clients, over
 * real sockets on 127.0.0.1: bursts of connections, slowloris, a connection cap, running out
 * of file descriptors, oversized bodies and idle keep-alive connections. Each test also checks
 * that a real client is still served.
 *
 * The clients are raw non-blocking sockets on the test thread; the server runs on the same
 * thread's default main context, which wait_until() iterates. */
#include "server.h"
#include "ws-client.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <string>
#include <vector>

using rtc::signaling::Server;
using rtc::signaling::ServerConfig;

namespace
{

struct Fixture
{
  std::unique_ptr<Server> server;
  guint port = 0;

  explicit Fixture (ServerConfig config = {})
  {
    server = std::make_unique<Server> (std::move (config));
    g_autoptr (GError) err = nullptr;
    if (!server->listen ("127.0.0.1:0", &err))
      g_error ("listen: %s", err->message);
    port = server->port ();
  }
  ~Fixture ()
  {
    server->shutdown (false);
    wait_until ([&] { return server->router ().remote_count () == 0; }, 1000);
    server.reset ();
    while (g_main_context_iteration (nullptr, FALSE))
      ;
  }
  const rtc::signaling::ListenerStats &
  stats () const
  {
    return server->listener ()->stats ();
  }
};

/* A raw client socket: what it sent, what it got, whether the server closed it. */
struct Raw
{
  int fd = -1;
  std::string got;
  bool closed = false;

  explicit Raw (guint port)
  {
    fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons (port);
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, reinterpret_cast<sockaddr *> (&a), sizeof a) < 0 && errno != EINPROGRESS)
      g_error ("connect: %s", g_strerror (errno));
  }
  ~Raw () { drop (); }
  Raw (const Raw &) = delete;
  Raw &operator= (const Raw &) = delete;

  void
  drop ()
  {
    if (fd >= 0)
      close (fd);
    fd = -1;
  }
  /* Sends all of @data, letting the server run while the socket buffer is full; false when
   * the server closed the connection first. */
  bool
  send_all (const std::string &data)
  {
    gsize off = 0;
    while (off < data.size ())
      {
        const ssize_t n = ::send (fd, data.data () + off, data.size () - off, MSG_NOSIGNAL);
        if (n > 0)
          off += static_cast<gsize> (n);
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN))
          {
            poll ();
            if (closed)
              return false;
            if (!g_main_context_iteration (nullptr, FALSE))
              g_usleep (200);
          }
        else
          return false;
      }
    return true;
  }
  /* Reads what has arrived. */
  void
  poll ()
  {
    char buf[4096];
    for (;;)
      {
        const ssize_t n = recv (fd, buf, sizeof buf, 0);
        if (n > 0)
          got.append (buf, static_cast<gsize> (n));
        else
          {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN))
              closed = true;
            return;
          }
      }
  }
  bool
  welcomed ()
  {
    poll ();
    return got.find ("\"welcome\"") != std::string::npos;
  }
  bool
  gone ()
  {
    poll ();
    return closed;
  }
};

const char kUpgrade[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

/* One real WebSocket client that must be served whatever the others do. */
void
assert_a_real_client_is_served (guint port)
{
  Raw c (port);
  g_assert_true (c.send_all (kUpgrade));
  g_assert_true (wait_until ([&] { return c.welcomed (); }, 5000));
}

gsize
open_fds ()
{
  gsize n = 0;
  if (DIR *d = opendir ("/proc/self/fd"))
    {
      while (readdir (d))
        n++;
      closedir (d);
    }
  return n;
}

} // namespace

static void
test_a_burst_of_200_websockets_is_welcomed ()
{
  Fixture f;
  std::vector<std::unique_ptr<Raw>> clients;
  const gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < 200; i++)
    clients.push_back (std::make_unique<Raw> (f.port));
  for (auto &c : clients)
    g_assert_true (c->send_all (kUpgrade));
  /* A bound for the test, not a target: the old backlog of 10 took up to 55 s. */
  const bool all = wait_until (
      [&] {
        for (auto &c : clients)
          if (!c->welcomed ())
            return false;
        return true;
      },
      20000);
  g_test_message ("200 WebSockets welcomed in %.2f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (all);
  g_assert_cmpuint (f.server->router ().remote_count (), ==, 200);
}

static void
test_slowloris_sockets_are_closed_and_keep_no_one_out ()
{
  ServerConfig config;
  config.listener.header_timeout_ms = 1000;
  Fixture f (config);
  std::vector<std::unique_ptr<Raw>> slow;
  for (int i = 0; i < 500; i++)
    {
      slow.push_back (std::make_unique<Raw> (f.port));
      /* Headers that never end. */
      g_assert_true (slow.back ()->send_all ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"));
    }
  assert_a_real_client_is_served (f.port);
  const bool all_closed = wait_until (
      [&] {
        for (auto &c : slow)
          if (!c->gone ())
            return false;
        return true;
      },
      15000);
  g_assert_true (all_closed);
  g_assert_cmpuint (f.stats ().timed_out, >=, 500);
  assert_a_real_client_is_served (f.port);
}

static void
test_connections_over_the_cap_are_refused_with_503 ()
{
  ServerConfig config;
  config.listener.max_connections = 3;
  Fixture f (config);
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 3; i++)
    held.push_back (std::make_unique<Raw> (f.port));
  g_assert_true (wait_until ([&] { return f.server->listener ()->connections () == 3; }));
  Raw extra (f.port);
  g_assert_true (wait_until ([&] { return extra.gone (); }));
  g_assert_true (g_str_has_prefix (extra.got.c_str (), "HTTP/1.1 503"));
  g_assert_nonnull (strstr (extra.got.c_str (), "too many connections"));
  g_assert_cmpuint (f.stats ().refused_full, ==, 1);
  /* Once one leaves, there is room again. */
  held.pop_back ();
  g_assert_true (wait_until ([&] { return f.server->listener ()->connections () < 3; }));
  assert_a_real_client_is_served (f.port);
}

static void
test_running_out_of_descriptors_pauses_accepting_but_never_stops_it ()
{
  Fixture f;
  struct rlimit saved;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  struct rlimit low = saved;
  low.rlim_cur = open_fds () + 24;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);

  /* Clients and server share this process's descriptors: the server's accept() fails first or
   * the clients run out; either way the server meets EMFILE while connections wait. */
  std::vector<std::unique_ptr<Raw>> clients;
  for (int i = 0; i < 40; i++)
    {
      auto c = std::make_unique<Raw> (f.port);
      if (c->fd < 0)
        break;
      clients.push_back (std::move (c));
      g_main_context_iteration (nullptr, FALSE);
    }
  const bool hit = wait_until ([&] { return f.stats ().accept_errors > 0; }, 3000);
  /* Free them all: the server must pick up accepting again by itself. */
  clients.clear ();
  g_assert_true (wait_until ([&] { return f.server->listener ()->connections () == 0; }, 10000));
  assert_a_real_client_is_served (f.port);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_test_message ("accept errors: %" G_GUINT64_FORMAT, f.stats ().accept_errors);
  g_assert_true (hit);
}

static void
test_an_oversized_body_is_refused_before_it_is_read ()
{
  ServerConfig config;
  config.whip.max_body_size = 65536;
  Fixture f (config);
  /* Announced: 200 MB. Refused after the headers, with 256 KiB of it sent. */
  Raw big (f.port);
  g_assert_true (big.send_all ("POST /whep HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/sdp\r\nContent-Length: 209715200\r\n\r\n"));
  big.send_all (std::string (256 * 1024, 'x')); /* may fail: the server closes early */
  g_assert_true (wait_until ([&] { return big.gone (); }));
  g_assert_true (g_str_has_prefix (big.got.c_str (), "HTTP/1.1 413"));

  /* Not announced (chunked): refused once it grows past the limit. */
  Raw chunked (f.port);
  g_assert_true (chunked.send_all ("POST /whip HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Type: application/sdp\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "4000\r\n" + std::string (0x4000, 'y') + "\r\n";
  for (int i = 0; i < 64 && !chunked.gone (); i++)
    if (!chunked.send_all (chunk))
      break;
  g_assert_true (wait_until ([&] { return chunked.gone (); }));
  g_assert_true (g_str_has_prefix (chunked.got.c_str (), "HTTP/1.1 413"));
  g_assert_nonnull (strstr (chunked.got.c_str (), "the limit is 65536 bytes"));
  g_assert_cmpuint (f.stats ().too_large, ==, 2);
  assert_a_real_client_is_served (f.port);
}

static void
test_a_request_that_never_finishes_its_body_is_closed ()
{
  ServerConfig config;
  config.listener.request_timeout_ms = 500;
  Fixture f (config);
  Raw c (f.port);
  g_assert_true (c.send_all ("POST /whip HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/sdp\r\nContent-Length: 100\r\n\r\nv=0"));
  g_assert_true (wait_until ([&] { return c.gone (); }, 5000));
  g_assert_cmpuint (f.stats ().timed_out, ==, 1);
  assert_a_real_client_is_served (f.port);
}

/* libsoup keeps connections alive only for its own listeners: nothing lingers idle. */
static void
test_each_response_closes_its_connection ()
{
  Fixture f;
  Raw c (f.port);
  g_assert_true (c.send_all ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  g_assert_true (wait_until ([&] { return c.gone (); }));
  g_assert_true (g_str_has_prefix (c.got.c_str (), "HTTP/1.1 200"));
  g_assert_true (wait_until ([&] { return f.server->listener ()->connections () == 0; }));
}

/* WebSockets that come and go leave no descriptor behind (the server holds no socket of its own
 * after libsoup is done with it). */
static void
test_websockets_that_go_leave_no_descriptor ()
{
  Fixture f;
  assert_a_real_client_is_served (f.port); /* lazily made pools and sockets exist now */
  g_assert_true (wait_until ([&] { return f.server->router ().remote_count () == 0; }));
  const gsize before = open_fds ();
  for (int round = 0; round < 3; round++)
    {
      std::vector<std::unique_ptr<Raw>> clients;
      for (int i = 0; i < 30; i++)
        {
          clients.push_back (std::make_unique<Raw> (f.port));
          g_assert_true (clients.back ()->send_all (kUpgrade));
        }
      g_assert_true (wait_until ([&] {
        for (auto &c : clients)
          if (!c->welcomed ())
            return false;
        return true;
      }));
      clients.clear (); /* gone without a close frame */
      g_assert_true (wait_until ([&] { return f.server->router ().remote_count () == 0; }, 10000));
    }
  g_assert_true (wait_until ([&] { return open_fds () <= before; }, 10000));
}

/* A browser offers permessage-deflate; the server answers without it (its zlib state would cost
 * ~300 KB a peer) and its messages come as plain text frames. */
static void
test_websockets_are_not_compressed ()
{
  Fixture f;
  Raw c (f.port);
  const std::string offer = std::string (kUpgrade, sizeof kUpgrade - 3)
                            + "Sec-WebSocket-Extensions: permessage-deflate; "
                              "client_max_window_bits\r\n\r\n";
  g_assert_true (c.send_all (offer));
  g_assert_true (wait_until ([&] { return c.welcomed (); }, 5000));
  g_assert_true (g_str_has_prefix (c.got.c_str (), "HTTP/1.1 101"));
  const std::string head = c.got.substr (0, c.got.find ("\r\n\r\n"));
  g_assert_true (head.find ("Sec-WebSocket-Accept") != std::string::npos);
  g_assert_true (head.find ("Sec-WebSocket-Extensions") == std::string::npos);
  g_assert_true (head.find ("permessage-deflate") == std::string::npos);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  /* 1,000 sockets at once (500 slow clients and their server ends). */
  struct rlimit r;
  if (getrlimit (RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 4096)
    {
      r.rlim_cur = MIN (r.rlim_max, static_cast<rlim_t> (4096));
      setrlimit (RLIMIT_NOFILE, &r);
    }
  g_test_add_func ("/signaling/http-listener/websockets-not-compressed",
                   test_websockets_are_not_compressed);
  g_test_add_func ("/signaling/http-listener/burst-of-200-websockets",
                   test_a_burst_of_200_websockets_is_welcomed);
  g_test_add_func ("/signaling/http-listener/slowloris-closed-by-header-timeout",
                   test_slowloris_sockets_are_closed_and_keep_no_one_out);
  g_test_add_func ("/signaling/http-listener/max-connections-503",
                   test_connections_over_the_cap_are_refused_with_503);
  g_test_add_func ("/signaling/http-listener/emfile-survived",
                   test_running_out_of_descriptors_pauses_accepting_but_never_stops_it);
  g_test_add_func ("/signaling/http-listener/oversized-body-413",
                   test_an_oversized_body_is_refused_before_it_is_read);
  g_test_add_func ("/signaling/http-listener/slow-body-closed-by-request-timeout",
                   test_a_request_that_never_finishes_its_body_is_closed);
  g_test_add_func ("/signaling/http-listener/each-response-closes-its-connection",
                   test_each_response_closes_its_connection);
  g_test_add_func ("/signaling/http-listener/websockets-leave-no-descriptor",
                   test_websockets_that_go_leave_no_descriptor);
  return g_test_run ();
}
