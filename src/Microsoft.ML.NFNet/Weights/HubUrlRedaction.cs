using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The one place a URL is made fit for a message, a log line or an exception: the user name and password of an
/// endpoint (<c>http://user:pass@host</c>), the query (a CDN link's signature) and the fragment are dropped; scheme,
/// host, port and path stay, so the URL still says what to fetch.
/// </summary>
internal static partial class HubUrlRedaction
{
    public static string ForMessage(Uri url) =>
        url.IsAbsoluteUri
            ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)
            : ForMessage(url.OriginalString);

    /// <summary>Also for text that is not a valid URL (a mistyped <c>HF_ENDPOINT</c> may still hold a password).</summary>
    public static string ForMessage(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
            return ForMessage(parsed);
        return QueryOrFragment().Replace(UserInfo().Replace(url, "${scheme}"), "");
    }

    /// <summary>Everything up to an '@' before the first '/', '?' or '#' after the scheme: <c>user:pass@</c>.</summary>
    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)?[^/?#]*@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"[?#].*$", RegexOptions.Singleline)]
    private static partial Regex QueryOrFragment();
}
