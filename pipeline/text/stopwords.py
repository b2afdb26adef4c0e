"""Swedish function words plus ESF page boilerplate that carries no topic (lower case)."""

from __future__ import annotations

STOPWORDS = frozenset(
    """
    och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan
    man när år säger hon under också efter eller nu sin där vid mot ska skall skulle kommer ut får finns
    vara vad fick två än andra ha alla andra dem då sedan över bara även vilket dess oss detta dessa deras
    denna sitt sina sitt hur hade blev bli blir samt inom utan genom hos mellan mer mycket många dock
    eftersom både hela ny nya nytt annat olika vilka vilken vilket varje någon några något ingen inga
    inget sådan sådana själv själva redan ännu också här just ju nog väl t ex bl a m m dvs osv ca
    vår våra vårt er ert era din dina ditt min mina mitt oss dig mig honom henne hans hennes dom ni du
    kr sek procent st fler flera mest minst ska samma egen eget egna del delar sätt genom vilket
    logotyp utskrifter english cookies kontaktperson telefonnummer e-post epost projektägare
    projektperiod projektfas region beviljat esf-stöd total projektbudget programområde
    """.split()
)
