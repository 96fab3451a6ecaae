using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.Hosting;

/// <summary>
/// One running Dapr-compatible runtime for one app. Start it with <see cref="StartAsync"/>; dispose to stop.
/// Several hosts in one process (or several processes) with the same data directory share one store.
/// </summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SqliteStore _store;
    private readonly SidecarRuntime _runtime;
    private int _disposed;

    private SidecarHost(WebApplication app, SqliteStore store, SidecarRuntime runtime)
    {
        _app = app;
        _store = store;
        _runtime = runtime;
    }

    /// <summary>The app id this runtime serves.</summary>
    public string AppId => _runtime.AppId;

    /// <summary>Bound Dapr HTTP port (<c>DAPR_HTTP_PORT</c>).</summary>
    public int HttpPort => _runtime.HttpPort;

    /// <summary>Bound Dapr gRPC port (<c>DAPR_GRPC_PORT</c>).</summary>
    public int GrpcPort => _runtime.GrpcPort;

    /// <summary><c>http://127.0.0.1:{HttpPort}</c>, for <c>DaprClientBuilder.UseHttpEndpoint</c>.</summary>
    public string HttpEndpoint => $"http://127.0.0.1:{HttpPort}";

    /// <summary><c>http://127.0.0.1:{GrpcPort}</c>, for <c>DaprClientBuilder.UseGrpcEndpoint</c>.</summary>
    public string GrpcEndpoint => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>Completes once the app port answered and its subscriptions are registered (at once without an app port).</summary>
    public Task AppReady => _runtime.AppReady;

    /// <summary>Number of messages still waiting to be delivered to this app (for tests and diagnostics).</summary>
    public long PendingDeliveries => _store.PendingDeliveries(AppId);

    /// <summary>
    /// Loads the resources, binds the ports and starts serving. Throws <see cref="SidecarConfigException"/> for
    /// configuration errors (the message names the file and field).
    /// </summary>
    public static async Task<SidecarHost> StartAsync(SidecarOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.AppId) || options.AppId.Contains("||", StringComparison.Ordinal) || options.AppId.Contains('.', StringComparison.Ordinal))
        {
            throw new SidecarConfigException("(flags)", "--app-id", $"'{options.AppId}' is not a valid app id");
        }

        if (options.AppProtocol is not ("http" or "grpc" or "h2c"))
        {
            throw new SidecarConfigException("(flags)", "--app-protocol", $"expected http, h2c or grpc, found '{options.AppProtocol}'");
        }

        var resources = LoadedResources.Load(options.ResourcesPaths, options.AppId, options.ConfigFile);
        var store = SqliteStore.Acquire(options.DataDir);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                // The runtime is configured by its flags only. Without this, every host read appsettings*.json from
                // the working directory (Kestrel endpoints included) and watched that whole tree for changes:
                // an inotify watch per directory, and CPU for every file written below it, SQLite's included.
                ContentRootPath = AppContext.BaseDirectory,
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
            });
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(options.LogLevel);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
            if (options.ConfigureLogging is { } configure)
            {
                configure(builder.Logging);
            }
            else
            {
                builder.Logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                });
            }

            // Port 0 is bound as port 0: Kestrel takes a free port from the OS, read back after the start. Reserving a
            // port first and binding it later would race with every other process looking for one.
            ListenOptions? httpListen = null, grpcListen = null;
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                // HTTP/1.1 only: without TLS Kestrel cannot offer HTTP/2 next to HTTP/1.1 on one port (decision 0012).
                kestrel.Listen(IPAddress.Loopback, options.HttpPort, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    httpListen = l;
                });
                kestrel.Listen(IPAddress.Loopback, options.GrpcPort, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    grpcListen = l;
                });
                kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
                kestrel.AddServerHeader = false;
            });

            var loggerFactory = LoggerFactory.Create(l =>
            {
                l.SetMinimumLevel(options.LogLevel);
                if (options.ConfigureLogging is { } c)
                {
                    c(l);
                }
                else
                {
                    l.AddSimpleConsole(o => o.SingleLine = true);
                }
            });
            var runtime = new SidecarRuntime(options, resources, store, loggerFactory.CreateLogger<SidecarRuntime>());
            loggerFactory.Dispose();
            SidecarComposition.AddSidecarServices(builder.Services, runtime);
            var app = builder.Build();
            SidecarComposition.UseSidecarMiddleware(app, runtime);
            SidecarComposition.MapSidecarEndpoints(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            runtime.HttpPort = httpListen!.IPEndPoint!.Port;
            runtime.GrpcPort = grpcListen!.IPEndPoint!.Port;
            await store.RegisterAppAsync(new AppAddress(options.AppId, "127.0.0.1", options.AppPort ?? 0, options.AppProtocol, runtime.HttpPort, runtime.GrpcPort), options.TimeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return new SidecarHost(app, store, runtime);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Stops serving and delivering; pending messages stay in the store for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _store.Dispose();
        }
    }
}
