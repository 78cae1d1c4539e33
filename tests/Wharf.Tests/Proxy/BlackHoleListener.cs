using System.Net;
using System.Net.Sockets;

namespace Wharf.Tests.Proxy;

/// <summary>
/// A loopback address whose connections never complete, as an upstream behind a dead route or a
/// firewall that drops packets looks: a socket listens with a backlog of zero and never accepts, and
/// one connection fills that queue, so the kernel drops every later SYN and a client's connect hangs
/// until its own timeout. (A stopped server is the other kind of down: refused at once.)
/// </summary>
public sealed class BlackHoleListener : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private BlackHoleListener(Socket listener) => _listener = listener;

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public string HostPort => $"127.0.0.1:{Port}";

    /// <summary>Opens the black hole on <paramref name="port"/> (0: any free port), retrying the bind for
    /// a few seconds while a server that just stopped still holds it.</summary>
    public static async Task<BlackHoleListener> StartAsync(int port = 0)
    {
        var listener = await BindAsync(port);
        var hole = new BlackHoleListener(listener);
        try
        {
            await hole.FillAsync();
            return hole;
        }
        catch
        {
            hole.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }

    private static async Task<Socket> BindAsync(int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                socket.Listen(0);
                return socket;
            }
            catch (SocketException) when (attempt < 50)
            {
                socket.Dispose();
                await Task.Delay(100);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>Connects until a connect no longer completes; fails if the queue never fills.</summary>
    private async Task FillAsync()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, Port);
        for (var i = 0; i < 8; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                await client.ConnectAsync(endpoint, timeout.Token);
                _fillers.Add(client);
            }
            catch (OperationCanceledException)
            {
                client.Dispose();
                return; // the queue is full: connects now hang
            }
        }

        throw new InvalidOperationException($"The accept queue of {HostPort} never filled; connects to it do not hang here.");
    }
}
