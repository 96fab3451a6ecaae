namespace Storebridge.ServiceDefaults;

/// <summary>Settings under <c>Storebridge</c> that the hosting defaults read.</summary>
public sealed class ServiceDefaultsOptions
{
    public const string Section = "Storebridge";

    /// <summary>Largest request body accepted on HTTP and gRPC; larger requests get 413 / ResourceExhausted.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Where the service listens; see docs/decisions/0003-one-h2c-app-port-and-a-public-port.md.</summary>
    public ListenOptions Listen { get; set; } = new();

    /// <summary>
    /// Two ports: the app port speaks HTTP/2 cleartext only (Dapr <c>app-protocol: h2c</c>: deliveries, bindings and
    /// proxied gRPC), the public port HTTP/1.1 (webhooks, probes; TLS terminates in front of it).
    /// Kestrel cannot serve HTTP/1.1 and prior-knowledge HTTP/2 on one cleartext port.
    /// </summary>
    public sealed class ListenOptions
    {
        /// <summary>Interface to bind: loopback by default, <c>0.0.0.0</c> in a pod.</summary>
        public string Address { get; set; } = "127.0.0.1";

        /// <summary>The Dapr app port; defaults to <c>APP_PORT</c>, which <c>dapr run</c> sets.</summary>
        public int? AppPort { get; set; }

        public int? PublicPort { get; set; }
    }
}
