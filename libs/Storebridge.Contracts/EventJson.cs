using Google.Protobuf;

namespace Storebridge.Contracts;

/// <summary>
/// The JSON form of canonical events: the protobuf JSON mapping (lowerCamelCase names, RFC 3339 timestamps,
/// enums by name), the same for publishers and for subscribers in any language.
/// </summary>
public static class EventJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Serialises an event to protobuf JSON.</summary>
    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>Parses protobuf JSON; fields this version does not know are ignored so that additive changes stay compatible.</summary>
    public static T Parse<T>(string json) where T : IMessage<T>, new() => Parser.Parse<T>(json);

    /// <summary>Parses protobuf JSON into the message described by the CloudEvent type.</summary>
    public static IMessage Parse(EventDefinition definition, string json) => Parser.Parse(json, definition.Descriptor);
}
