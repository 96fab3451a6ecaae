using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapr.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Tests;

/// <summary>A temporary folder with component YAML, removed at the end of the test.</summary>
internal sealed class TempResources : IDisposable
{
    public TempResources()
    {
        Root = Path.Combine(Path.GetTempPath(), "sidecar-tests", Guid.NewGuid().ToString("N"));
        ResourcesDir = Path.Combine(Root, "resources");
        DataDir = Path.Combine(Root, "data");
        Directory.CreateDirectory(ResourcesDir);
        Write("statestore.yaml", Component("statestore", "state.sqlite"));
        Write("pubsub.yaml", Component("pubsub", "pubsub.in-memory"));
    }

    public string Root { get; }

    public string ResourcesDir { get; }

    public string DataDir { get; }

    public static string Component(string name, string type, params (string Name, string Value)[] metadata)
    {
        var meta = metadata.Length == 0
            ? "  metadata: []"
            : "  metadata:\n" + string.Join("\n", metadata.Select(m => $"    - name: {m.Name}\n      value: \"{m.Value}\""));
        return $"apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: {type}\n  version: v1\n{meta}\n";
    }

    /// <summary>A Resiliency resource with one constant retry policy for the pub/sub inbound direction.</summary>
    public void WriteRetryPolicy(int maxRetries, string duration = "10ms", string policy = "constant") =>
        WriteResiliency($"""
            retries:
              fast:
                policy: {policy}
                duration: {duration}
                maxRetries: {maxRetries}
            """, """
            components:
              pubsub:
                inbound:
                  retry: fast
            """);

    /// <summary>A Resiliency resource from its <c>spec.policies</c> and <c>spec.targets</c> sections (YAML at column 0).</summary>
    public void WriteResiliency(string policies, string targets) =>
        Write("resiliency.yaml", $"""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: test
            spec:
              policies:
            {Indent(policies)}
              targets:
            {Indent(targets)}
            """);

    private static string Indent(string yaml) => string.Join("\n", yaml.Split('\n').Select(line => "    " + line));

    public string Write(string name, string content)
    {
        var path = Path.Combine(ResourcesDir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public SidecarOptions Options(string appId, int? appPort = null, string? apiToken = null, string? appApiToken = null, string appProtocol = "http", TimeProvider? time = null) => new()
    {
        TimeProvider = time ?? TimeProvider.System,
        AppId = appId,
        AppPort = appPort,
        AppProtocol = appProtocol,
        ResourcesPaths = [ResourcesDir],
        DataDir = DataDir,
        ApiToken = apiToken,
        AppApiToken = appApiToken,
        LogLevel = LogLevel.Warning,
        PollInterval = TimeSpan.FromMilliseconds(50),
        ConfigureLogging = l => l.ClearProviders(),
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A POST an app received, as it was on the wire.</summary>
internal sealed record ReceivedEvent(string Route, string Body, string? ContentType, string? Traceparent, string? ApiToken);

/// <summary>
/// A real Kestrel app on 127.0.0.1 (port 0; HTTP/1.1, or h2c when asked) built by the test with minimal APIs and
/// Dapr.AspNetCore; it records what reaches it.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestApp(WebApplication app, int port, ConcurrentQueue<ReceivedEvent> received)
    {
        _app = app;
        Port = port;
        Received = received;
    }

    public int Port { get; }

    public ConcurrentQueue<ReceivedEvent> Received { get; }

    public IEnumerable<ReceivedEvent> On(string route) => Received.Where(r => r.Route == route);

    public static async Task<TestApp> StartAsync(Action<WebApplication, ConcurrentQueue<ReceivedEvent>> map, Action<IServiceCollection>? services = null, int port = 0, HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = protocols));
        builder.Services.AddDaprClient();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        var received = new ConcurrentQueue<ReceivedEvent>();
        // Record every request as it arrived on the wire, before UseCloudEvents unwraps the envelope.
        app.Use(async (context, next) =>
        {
            if (context.Request.Method == "POST" && context.Request.Path != "/dapr/subscribe" && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
            {
                context.Request.EnableBuffering();
                await Record(context, received);
                context.Request.Body.Position = 0;
            }

            await next(context);
        });
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        map(app, received);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestApp(app, new Uri(address).Port, received);
    }

    private static async Task Record(HttpContext context, ConcurrentQueue<ReceivedEvent> received)
    {
        using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
        var body = await reader.ReadToEndAsync();
        received.Enqueue(new ReceivedEvent(context.Request.Path, body, context.Request.ContentType,
            context.Request.Headers["traceparent"].FirstOrDefault(), context.Request.Headers["dapr-api-token"].FirstOrDefault()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal static class Wait
{
    /// <summary>Polls until the condition holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task Until(Func<bool> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

internal static class Clients
{
    public static DaprClient Dapr(SidecarHost host, string? token = null)
    {
        var builder = new DaprClientBuilder().UseGrpcEndpoint(host.GrpcEndpoint).UseHttpEndpoint(host.HttpEndpoint);
        if (token is not null)
        {
            builder.UseDaprApiToken(token);
        }

        return builder.Build();
    }

    public static HttpClient Http(SidecarHost host) => new() { BaseAddress = new Uri(host.HttpEndpoint) };

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
