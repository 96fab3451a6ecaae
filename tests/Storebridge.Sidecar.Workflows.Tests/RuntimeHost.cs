using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>A minimal runtime: Kestrel on 127.0.0.1 with HTTP/2 cleartext serving only the workflow backend.</summary>
internal sealed class RuntimeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RuntimeHost(WebApplication app, int port, ConcurrentQueue<string> requestPaths)
    {
        _app = app;
        Port = port;
        RequestPaths = requestPaths;
    }

    public int Port { get; }

    /// <summary>Every request path the runtime received, to see which APIs the SDK calls.</summary>
    public ConcurrentQueue<string> RequestPaths { get; }

    public IWorkflowInstanceInspector Inspector => _app.Services.GetRequiredService<IWorkflowInstanceInspector>();

    public static async Task<RuntimeHost> StartAsync(
        string databasePath, int port = 0, string appId = "orders", TimeSpan? activityLease = null, TimeProvider? time = null,
        Action<WorkflowBackendOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddWorkflowBackend(o =>
        {
            o.DatabasePath = databasePath;
            o.AppId = appId;
            o.ActivityLeaseTimeout = activityLease ?? TimeSpan.FromMinutes(5);
            o.TimeProvider = time ?? TimeProvider.System;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        var requestPaths = new ConcurrentQueue<string>();
        app.Use((context, next) =>
        {
            requestPaths.Enqueue(context.Request.Path.Value ?? string.Empty);
            return next(context);
        });
        app.MapWorkflowBackend();

        // A restarted runtime must come back on the same port; the previous socket may linger for a moment.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken);
                break;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RuntimeHost(app, new Uri(address).Port, requestPaths);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
