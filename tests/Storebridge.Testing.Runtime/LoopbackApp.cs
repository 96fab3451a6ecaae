using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Storebridge.Testing.Runtime;

/// <summary>Small in-process HTTP apps (fake stores, subscribers) on a loopback port the OS picks, logging nothing.</summary>
public static class LoopbackApp
{
    /// <param name="protocols">The listener's protocols; without it, Kestrel's default.</param>
    public static WebApplicationBuilder CreateBuilder(HttpProtocols? protocols = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (protocols is { } chosen)
            {
                listen.Protocols = chosen;
            }
        }));
        return builder;
    }

    /// <summary>The address a started app listens on, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
