using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Storebridge.Testing;

/// <summary>
/// Starts a service from its real <c>Program.cs</c> on Kestrel (a loopback port), with a test API key and app token,
/// so tests reach it over real HTTP/1.1 and HTTP/2 as the Dapr runtime and callers would.
/// </summary>
public sealed class ServiceHost<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    public const string ApiKey = "service-host-test-key";
    public const string AppToken = "service-host-app-token";

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Storebridge:Auth:ApiKeys:tests"] = ApiKey,
        ["APP_API_TOKEN"] = AppToken,
        ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9",
        ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9",
    };

    public ServiceHost(IDictionary<string, string?>? settings = null)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        var appPort = ReservedPort.Next();
        var publicPort = _settings.TryGetValue("Storebridge:Listen:PublicPort", out var chosen) && chosen is not null
            ? int.Parse(chosen, CultureInfo.InvariantCulture)
            : ReservedPort.Next();
        _settings["Storebridge:Listen:AppPort"] = appPort.ToString(CultureInfo.InvariantCulture);
        _settings["Storebridge:Listen:PublicPort"] = publicPort.ToString(CultureInfo.InvariantCulture);
        Address = new Uri($"http://127.0.0.1:{publicPort}");
        AppAddress = new Uri($"http://127.0.0.1:{appPort}");
        UseKestrel();
    }

    /// <summary>The public HTTP/1.1 port: webhooks and health probes.</summary>
    public Uri Address { get; }

    /// <summary>The Dapr app port: HTTP/2 cleartext only (deliveries, bindings, gRPC).</summary>
    public Uri AppAddress { get; }

    public ServiceHost<TEntryPoint> Start()
    {
        StartServer();
        return this;
    }


    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Host settings reach the builder's configuration before Program reads it (ConfigureAppConfiguration comes later).
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    /// <summary>An HTTP client for the real server, with the test API key unless told otherwise.</summary>
    public HttpClient CreateHttpClient(bool withApiKey = true)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (withApiKey)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        }

        return client;
    }
}
