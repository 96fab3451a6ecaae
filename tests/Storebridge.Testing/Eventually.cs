using System.Net;
using System.Net.Sockets;

namespace Storebridge.Testing;

/// <summary>Waits for asynchronous outcomes (deliveries, workflows) by polling, with a generous bound instead of sleeps.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? within = null, string? because = null) =>
        await TrueAsync(() => Task.FromResult(condition()), within, because);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? within = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(because ?? "The condition did not become true in time.");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>
/// Loopback ports for hosts whose address must be known before they start. Ports come from below Linux's ephemeral
/// range (32768+), so the outgoing connections of a busy test run can never take one between reservation and bind;
/// each process walks its own stretch of the range and never hands out a port twice.
/// </summary>
public static class ReservedPort
{
    private const int First = 20_000;
    private const int Count = 12_000;
    private static int _next = Environment.ProcessId * 397 % Count;

    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by another process: try the next one.
            }
        }

        throw new InvalidOperationException("No free loopback port below the ephemeral range.");
    }
}
