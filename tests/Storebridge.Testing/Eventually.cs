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

/// <summary>Free loopback ports for hosts whose address must be known before they start.</summary>
public static class ReservedPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
